"""Whatever a platform answers, a source's poll raises only our errors (hypothesis
generates the payloads, served over real HTTP to real tweepy and praw); a Reddit item
without ``created_utc`` is skipped, not a stuck cursor; the replay source and the sink
read only what is new; the karma cache is bounded; naive times are UTC both ways."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.settings import BrandSettings
from core.backoff import RetryPolicy
from core.clock import ManualClock, from_iso, to_iso
from core.errors import SourceError
from core.reply import ReplyRequest
from listener.reddit import source as reddit_source
from listener.reddit.client import RedditClient
from listener.reddit.settings import RedditSourceSettings
from listener.reddit.source import RedditSource
from listener.replay.publisher import SinkPublisher
from listener.replay.source import ReplaySource
from listener.x.settings import XSourceSettings
from listener.x.source import XSource
from tests.support import mention_line, write_jsonl
from tests.support.reddit import CREDS

BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora"])
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12)


def shaped(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the API's field names, each present or not, holding anything."""
    return st.fixed_dictionaries({}, optional={k: json_values for k in keys})


tweet = shaped(["id", "text", "author_id", "created_at", "lang", "conversation_id",
                "referenced_tweets", "public_metrics", "entities", "in_reply_to_user_id"])
x_body = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "data": st.lists(tweet, max_size=4) | json_values,
        "includes": st.fixed_dictionaries({}, optional={
            "users": st.lists(shaped(["id", "username", "name", "public_metrics",
                                      "verified"]), max_size=3),
            "tweets": st.lists(tweet, max_size=2)}),
        "meta": shaped(["newest_id", "oldest_id", "result_count", "next_token"]),
        "errors": st.lists(shaped(["title", "detail", "value", "resource_type"]), max_size=2),
    }),
)
thing = st.fixed_dictionaries(
    {"kind": st.sampled_from(["t1", "t3", "t2", "more", "Listing"])},
    optional={"data": shaped(["name", "id", "created_utc", "author", "author_fullname",
                              "title", "selftext", "body", "subreddit", "permalink",
                              "link_id", "parent_id", "score", "num_comments", "context",
                              "link_title", "removed_by_category"])})
reddit_body = st.one_of(
    json_values,
    st.fixed_dictionaries({"kind": st.just("Listing"), "data": st.fixed_dictionaries(
        {"children": st.lists(thing, max_size=4)},
        optional={"after": st.none() | st.text(max_size=8)})}),
)


class PayloadServer:
    """A stand-in API on 127.0.0.1 answering every listing with ``body`` (and Reddit's
    token and identity endpoints properly, so the payload reaches the source)."""

    def __init__(self) -> None:
        self.body: bytes = b"{}"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                if "access_token" in self.path:
                    payload = json.dumps({"access_token": "t", "token_type": "bearer",
                                          "expires_in": 3600, "scope": "*"}).encode()
                elif self.path.startswith("/api/v1/me"):
                    payload = json.dumps({"name": "lumora_support", "id": "1"}).encode()
                else:
                    payload = server.body
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture(scope="module")
def server():
    s = PayloadServer()
    yield s
    s.close()


def x_source(server: PayloadServer, clock: ManualClock) -> XSource:
    s = XSourceSettings(platform="x", name="x", brand="Lumora", api_base_url=server.url,
                        timeout_seconds=2, max_retries=0)
    return XSource(s, BRAND, clock, bearer_token="t",
                   retry=RetryPolicy(retries=0, sleep=lambda _: None))


def reddit(server: PayloadServer, clock: ManualClock, **extra: Any) -> RedditSource:
    s = RedditSourceSettings(platform="reddit", name="r", brand="Lumora",
                             subreddits=["gadgets"], oauth_url=server.url + "/",
                             reddit_url=server.url, timeout_seconds=2, karma_lookup=False,
                             **extra)
    return RedditSource(s, BRAND, clock, RedditClient(s, clock, CREDS))


def only_our_errors(source: Any, cursor: dict | None) -> None:
    try:
        poll = source.poll(cursor)
    except SourceError:
        return
    assert isinstance(poll.cursor, dict)
    json.dumps(poll.cursor)  # storable


@FUZZ
@given(body=x_body, cursor=st.none() | st.fixed_dictionaries({"since_id": st.text(max_size=5)}))
def test_x_poll_raises_only_our_errors(server, body, cursor):
    server.body = json.dumps(body).encode()
    only_our_errors(x_source(server, ManualClock()), cursor)


@FUZZ
@given(body=reddit_body)
def test_reddit_poll_raises_only_our_errors(server, body):
    server.body = json.dumps(body).encode()
    only_our_errors(reddit(server, ManualClock(), username_mentions=False,
                           subreddit_comments=False), None)


@FUZZ
@given(raw=st.binary(max_size=60) | st.text(max_size=60).map(str.encode))
def test_truncated_or_binary_bodies_are_malformed_not_crashes(server, raw):
    server.body = raw
    only_our_errors(x_source(server, ManualClock()), None)
    only_our_errors(reddit(server, ManualClock(), username_mentions=False,
                           subreddit_comments=False), None)


@FUZZ
@given(lines=st.lists(st.one_of(json_values.map(json.dumps), st.text(max_size=40),
                                shaped(["offset_s", "id", "author", "text", "kind", "title",
                                        "lang", "engagement"]).map(json.dumps)), max_size=6))
def test_replay_poll_skips_any_bad_line(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("replay") / "m.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from listener.replay.settings import ReplaySourceSettings

    s = ReplaySourceSettings(platform="replay", name="r", brand="Lumora", path=path)
    poll = ReplaySource(s, BRAND, ManualClock()).poll(None)  # never raises for content
    json.dumps(poll.cursor)


def test_a_reddit_item_without_created_utc_is_skipped_and_the_cursor_moves(server):
    clock = ManualClock()
    now = clock.now().timestamp()
    good = {"name": "t3_good", "id": "good", "created_utc": now - 60, "title": "Lumora rocks",
            "selftext": "", "author": "ann", "subreddit": "gadgets", "permalink": "/r/g/1"}
    bad = {**good, "name": "t3_bad", "id": "bad"}
    del bad["created_utc"]
    server.body = json.dumps({"kind": "Listing", "data": {"after": None, "children": [
        {"kind": "t3", "data": bad}, {"kind": "t3", "data": good}]}}).encode()
    poll = reddit(server, clock, username_mentions=False, subreddit_comments=False).poll(None)
    assert [m.platform_id for m in poll.mentions] == ["t3_good"]
    assert poll.cursor["search"]["newest"] == "t3_good"
    assert any("without a name or creation time" in n for n in poll.notes)


def test_reddit_karma_cache_keeps_only_the_most_recent_authors(server, monkeypatch):
    monkeypatch.setattr(reddit_source, "KARMA_CACHE_SIZE", 3)
    clock = ManualClock()
    source = reddit(server, clock)
    source.settings = source.settings.model_copy(update={"karma_lookup": True})
    for i in range(6):
        server.body = json.dumps({f"t2_{i}": {"name": f"u{i}", "link_karma": i,
                                              "comment_karma": 0}}).encode()
        source._karma_of([f"t2_{i}"], [])
    assert list(source._karma) == ["t2_3", "t2_4", "t2_5"]


def test_replay_reads_only_what_is_new(make_settings, clock, tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [mention_line("1", "@lumora hi", 0),
                                              mention_line("2", "@lumora later", 60)])
    settings = make_settings(mentions=path)
    source = ReplaySource(settings.sources[0], settings.brands[0], clock)
    first = source.poll(None)
    assert [m.platform_id for m in first.mentions] == ["1"]
    first_line = path.read_bytes().index(b"\n")
    with path.open("r+b") as f:  # scribble over what was read: it is never read again
        f.write(b"X" * first_line)
    with path.open("ab") as f:
        f.write((json.dumps(mention_line("3", "@lumora new", 0)) + "\n").encode())
    clock.advance(61)
    second = source.poll(first.cursor)
    assert [m.platform_id for m in second.mentions] == ["2", "3"]
    assert second.notes == []
    # An old cursor (line count only) still resumes at the right line.
    old = {"started_at": first.cursor["started_at"], "position": 2}
    assert [m.platform_id for m in source.poll(old).mentions] == ["3"]


def test_sink_find_posted_reads_only_new_lines(tmp_path, clock):
    sink = SinkPublisher(tmp_path / "sink.jsonl", clock)

    def request(n: int) -> ReplyRequest:
        return ReplyRequest(n, "replay", str(n), "", f"reply {n}")

    sink.publish(request(1))
    assert sink.find_posted(request(1)).platform_id == "sink-1"
    assert sink.find_posted(request(2)) is None
    size = (tmp_path / "sink.jsonl").stat().st_size
    with (tmp_path / "sink.jsonl").open("r+b") as f:
        f.write(b"X" * (size - 1))  # what was read is not read again
    sink.publish(request(2))
    assert sink.find_posted(request(2)).platform_id == "sink-2"
    assert SinkPublisher(tmp_path / "elsewhere.jsonl", clock).find_posted(request(1)) is None


def test_naive_times_are_utc_both_ways():
    naive = datetime(2026, 11, 23, 9, 30)
    assert to_iso(naive) == "2026-11-23T09:30:00+00:00"
    assert from_iso(to_iso(naive)) == naive.replace(tzinfo=UTC)
    assert from_iso("2026-11-23T09:30:00") == naive.replace(tzinfo=UTC)


bsky_post = shaped(["uri", "cid", "author", "record", "indexedAt", "replyCount", "likeCount",
                    "repostCount", "labels", "viewer"])
bsky_bodies = {
    "app.bsky.notification.listNotifications": st.fixed_dictionaries({}, optional={
        "notifications": st.lists(shaped(["uri", "cid", "author", "reason", "record",
                                          "indexedAt", "isRead", "reasonSubject"]),
                                  max_size=4) | json_values,
        "cursor": st.none() | st.text(max_size=8)}),
    "app.bsky.feed.searchPosts": st.fixed_dictionaries({}, optional={
        "posts": st.lists(bsky_post, max_size=4) | json_values,
        "cursor": st.none() | st.text(max_size=8)}),
    "app.bsky.actor.getProfiles": st.fixed_dictionaries({}, optional={
        "profiles": st.lists(shaped(["did", "handle", "followersCount", "displayName"]),
                             max_size=3)}),
}


@pytest.fixture(scope="module")
def bluesky():
    """The Bluesky sandbox logs the real atproto client in; the reads it answers are
    replaced by whatever the test sets."""
    from tests.support.bluesky import make_source, new_sandbox

    clock = ManualClock()
    with new_sandbox(clock) as sandbox:
        answers: dict[str, Any] = {}
        dispatch = sandbox.dispatch

        def fuzzed(nsid: str, method: str, *args: Any) -> Any:
            if nsid in answers:
                return 200, answers[nsid], {}
            return dispatch(nsid, method, *args)

        sandbox.dispatch = fuzzed
        yield answers, make_source(sandbox, clock, keyword_search=True)


@FUZZ
@given(bodies=st.fixed_dictionaries({k: v | json_values for k, v in bsky_bodies.items()}))
def test_bluesky_poll_raises_only_our_errors(bluesky, bodies):
    answers, source = bluesky
    answers.update(bodies)
    only_our_errors(source, None)
