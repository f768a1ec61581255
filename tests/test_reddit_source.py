"""The Reddit source: real praw over HTTP to a local Reddit sandbox, time from a manual clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.clock import ManualClock
from core.errors import AuthError, MalformedResponse, RateLimited
from core.reply import ReplyRequest
from listener.reddit.client import RedditCredentials
from tests.support.reddit import CREDS, SBX, make_publisher, make_source, sandbox


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


def ts(clock: ManualClock, ago: float = 0) -> float:
    return clock.now().timestamp() - ago


def ids(poll) -> list[str]:
    return [m.platform_id for m in poll.mentions]


def test_first_poll_finds_submissions_comments_and_mentions_normalised(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "My Lumora lamp died", "after two days", "carol",
                                  created_utc=ts(clock, 300), score=7, karma=900)
        other = sbx.add_submission("gadgets", "Best desk lamps?", "", "erin",
                                   created_utc=ts(clock, 250))
        c1 = sbx.add_comment(post["name"], "lumora support never answered", "dave",
                             created_utc=ts(clock, 200), score=3, karma=1200)
        c2 = sbx.add_comment(other["name"], "hey u/lumora_support, does yours dim?", "fay",
                             created_utc=ts(clock, 100))
        sbx.add_comment(other["name"], "I use an IKEA one", "gus", created_utc=ts(clock, 90))
        sbx.add_submission("gadgets", "Ancient Lumora post", "", "hal",
                           created_utc=ts(clock, 3 * 86400))  # older than the first-poll age

        poll = make_source(sbx, clock).poll(None)

    assert ids(poll) == [post["name"], c1["name"], c2["name"]]  # oldest first
    m_post, m_c1, m_c2 = poll.mentions
    assert m_post.platform == "reddit"
    assert m_post.text == "My Lumora lamp died\n\nafter two days"
    assert m_post.url == f"{sbx.url}/r/gadgets/comments/{post['id']}/my_lumora_lamp_died/"
    assert m_post.author.handle == "carol" and m_post.author.followers == 900
    assert m_post.author.platform_id.startswith("t2_")
    assert m_post.engagement == {"score": 7, "comments": 1}
    assert m_post.conversation_id == post["name"] and m_post.in_reply_to_id == ""
    assert m_post.raw["subreddit"] == "gadgets" and m_post.raw["listing"] == "search"
    assert m_post.created_at == datetime.fromtimestamp(ts(clock, 300), UTC)
    assert m_c1.conversation_id == post["name"] and m_c1.in_reply_to_id == post["name"]
    assert m_c1.author.followers == 1200 and m_c1.engagement == {"score": 3}
    assert m_c1.url.endswith(f"/comments/{post['id']}/my_lumora_lamp_died/{c1['id']}/")
    assert m_c2.text == "hey u/lumora_support, does yours dim?"  # a username mention
    assert m_c2.conversation_id == other["name"]
    assert set(poll.cursor) >= {"search", "comments", "mentions"}
    assert poll.cursor["comments"]["newest"] and poll.requests >= 5
    json.dumps(poll.cursor)  # the pipeline stores it as JSON


def test_incremental_polls_and_a_restart_repeat_and_miss_nothing(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora hub offline", "", "ann",
                                  created_utc=ts(clock, 60))
        source = make_source(sbx, clock)
        first = source.poll(None)
        assert ids(first) == [post["name"]]

        again = source.poll(first.cursor)
        assert again.mentions == []

        clock.advance(120)
        c1 = sbx.add_comment(post["name"], "Lumora status page says fine", "bo")
        # Search indexed this one late: created before the cursor, visible only now.
        late = sbx.add_submission("gadgets", "Lumora app crash", "", "cy",
                                  created_utc=ts(clock, 150))
        second = source.poll(again.cursor)
        assert sorted(ids(second)) == sorted([c1["name"], late["name"]])

        restarted = make_source(sbx, clock)  # a new process: new praw, cursor from the store
        assert restarted.poll(second.cursor).mentions == []
        clock.advance(30)
        c2 = sbx.add_comment(post["name"], "lumora is back", "di")
        assert ids(restarted.poll(second.cursor)) == [c2["name"]]


def test_comments_filtered_by_terms_word_boundaries_case_and_exclusions(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Desk setups", "", "ann", created_utc=ts(clock, 500))
        keep = [
            sbx.add_comment(post["name"], "LUMORA bulbs are fine", "a", created_utc=ts(clock, 50)),
            sbx.add_comment(post["name"], "my lumora's remote broke", "b",
                            created_utc=ts(clock, 49)),
            sbx.add_comment(post["name"], "the Lumora Lamp v2?", "c", created_utc=ts(clock, 48)),
        ]
        drop = [
            sbx.add_comment(post["name"], "lumoralamp is a typo shop", "d",
                            created_utc=ts(clock, 47)),
            sbx.add_comment(post["name"], "hiking near Lumora Falls", "e",
                            created_utc=ts(clock, 46)),
            sbx.add_comment(post["name"], "nothing to see", "f", created_utc=ts(clock, 45)),
        ]
        poll = make_source(sbx, clock, search_submissions=False).poll(None)
    assert sorted(ids(poll)) == sorted(c["name"] for c in keep)
    assert not {c["name"] for c in drop} & set(ids(poll))


def test_thread_titles_and_brand_communities_count_without_the_name(clock):
    with sandbox(clock) as sbx:
        about = sbx.add_submission("gadgets", "Lumora strips died", "", "ann",
                                   created_utc=ts(clock, 500))
        reply = sbx.add_comment(about["name"], "mine too, same dead segment", "bo",
                                created_utc=ts(clock, 100))
        community = sbx.add_submission("LumoraLights", "Locked out after 2FA", "help", "cy",
                                       created_utc=ts(clock, 90))
        inside = sbx.add_comment(community["name"], "same here", "di", created_utc=ts(clock, 80))
        source = make_source(sbx, clock, brand_subreddits=["LumoraLights"])
        poll = source.poll(None)
        assert set(ids(poll)) == {about["name"], reply["name"], community["name"],
                                  inside["name"]}
        off = make_source(sbx, clock, thread_title_match=False, search_submissions=False)
        assert ids(off.poll(None)) == []


def test_username_mentions_come_from_the_inbox(clock):
    with sandbox(clock) as sbx:
        sbx.add_subreddit("elsewhere")
        post = sbx.add_submission("elsewhere", "Lamps", "", "ann", created_utc=ts(clock, 300))
        hit = sbx.add_comment(post["name"], "paging /u/Lumora_Support about this", "bo",
                              created_utc=ts(clock, 100))
        sbx.add_comment(post["name"], "u/lumora_supportive is someone else", "cy",
                        created_utc=ts(clock, 90))
        poll = make_source(sbx, clock).poll(None)  # r/gadgets only: the inbox finds it
    assert ids(poll) == [hit["name"]]
    mention = poll.mentions[0]
    assert mention.raw["listing"] == "mentions"
    assert mention.conversation_id == post["name"] and mention.in_reply_to_id == post["name"]
    assert mention.url.endswith(f"/{hit['id']}/") and "?" not in mention.url


def test_the_brands_own_posts_never_become_mentions(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora lamp flickers", "", "ann",
                                  created_utc=ts(clock, 60))
        source = make_source(sbx, clock, own_accounts=["LumoraHelp"])
        first = source.poll(None)
        assert ids(first) == [post["name"]]
        clock.advance(10)
        make_publisher(sbx, clock).publish(ReplyRequest(
            1, "reddit", post["name"], post["name"], "Sorry! Lumora support will DM you."))
        sbx.add_comment(post["name"], "Lumora here too, from the team account", "lumorahelp")
        sbx.add_submission("gadgets", "Lumora firmware 4.3 is out", "", "lumora_support")
        assert source.poll(first.cursor).mentions == []


def test_deleted_and_removed_items(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora thread", "", "ann", created_utc=ts(clock, 99))
        gone_post = sbx.add_submission("gadgets", "Lumora rant", "text", "bo",
                                       created_utc=ts(clock, 98))
        removed = sbx.add_comment(post["name"], "Lumora is a scam", "cy", created_utc=ts(clock, 90))
        deleted = sbx.add_comment(post["name"], "Lumora oops", "di", created_utc=ts(clock, 80))
        orphan = sbx.add_comment(post["name"], "Lumora bulbs still great", None,
                                 created_utc=ts(clock, 70))  # account deleted, text kept
        sbx.remove(removed["name"], "removed")
        sbx.remove(deleted["name"], "deleted")
        sbx.remove(gone_post["name"], "removed")
        poll = make_source(sbx, clock).poll(None)
    assert set(ids(poll)) == {post["name"], orphan["name"]}
    kept = next(m for m in poll.mentions if m.platform_id == orphan["name"])
    assert kept.author.handle == "[deleted]" and kept.author.followers == 0


def test_a_429_backs_off_until_reset_then_recovers(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        comment = sbx.add_comment(post["name"], "Lumora again", "bo", created_utc=ts(clock, 30))
        source = make_source(sbx, clock)
        sbx.fail_next(429, path="/r/gadgets/search")  # nothing read yet: the poll fails
        with pytest.raises(RateLimited) as caught:
            source.poll(None)
        assert caught.value.reset_at == clock.now() + timedelta(seconds=30)
        clock.advance(31)
        sbx.fail_next(429, path="/r/gadgets/comments")  # after the search listing was read
        first = source.poll(None)
        assert ids(first) == [post["name"]] and first.retry_at is not None
        assert "search" in first.cursor and "comments" not in first.cursor
        clock.advance(31)
        second = source.poll(first.cursor)
        assert ids(second) == [comment["name"]] and second.retry_at is None


def test_a_spent_rate_budget_raises_instead_of_sleeping(clock):
    with sandbox(clock) as sbx:
        sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        source = make_source(sbx, clock)
        first = source.poll(None)
        sbx.exhaust_budget(reset_seconds=300)
        before = len(sbx.requests)
        # The first answer says: 0 left for 300 s. That listing is kept; the next one is
        # refused before prawcore could sleep 300 s.
        partial = source.poll(first.cursor)
        assert len(sbx.requests) == before + 1
        assert partial.retry_at == clock.now() + timedelta(seconds=300)
        with pytest.raises(RateLimited):
            source.poll(partial.cursor)
        assert len(sbx.requests) == before + 1


def test_a_server_error_is_retried_by_prawcore(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        sbx.fail_next(503, path="/r/gadgets/search")  # one retry, up to 2 s of prawcore's sleep
        assert ids(make_source(sbx, clock).poll(None)) == [post["name"]]


def test_an_expired_token_is_renewed_by_praw_and_the_poll_goes_on(clock):
    # Reddit's tokens last an hour: a 401 on an API call makes prawcore ask for a new one
    # with the same credentials and repeat the call, so a long-running daemon never
    # pauses the source for it.
    with sandbox(clock) as sbx:
        sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        source = make_source(sbx, clock)
        first = source.poll(None)
        later = sbx.add_submission("gadgets", "Lumora again", "", "bo", created_utc=ts(clock))
        tokens = sbx.count("POST", "/api/v1/access_token")
        sbx.revoke_tokens()
        second = source.poll(first.cursor)
        assert ids(second) == [later["name"]]
        assert sbx.count("POST", "/api/v1/access_token") == tokens + 1


def test_an_unreadable_body_is_malformed_and_moves_no_cursor(clock):
    with sandbox(clock) as sbx:
        sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        sbx.fail_next("malformed", path="/message/mentions")
        with pytest.raises(MalformedResponse):
            make_source(sbx, clock).poll(None)


@pytest.mark.parametrize("creds, names", [
    (RedditCredentials(SBX.client_id, SecretStr("wrong"), SBX.username,
                       SecretStr(SBX.password)), "MENTIONDESK_REDDIT_CLIENT_ID"),
    (RedditCredentials(SBX.client_id, SecretStr(SBX.client_secret), SBX.username,
                       SecretStr("wrong")), "MENTIONDESK_REDDIT_PASSWORD"),
])
def test_bad_credentials_are_one_clear_auth_error(clock, creds, names, caplog):
    with sandbox(clock) as sbx, pytest.raises(AuthError) as caught:
        make_source(sbx, clock, creds=creds).poll(None)
    message = str(caught.value)
    assert names in message and "\n" not in message
    assert "wrong" not in message and "wrong" not in caplog.text  # no secret in a line


def test_missing_credentials_name_the_variable(clock, monkeypatch):
    from listener.reddit.client import RedditClient
    from listener.reddit.source import RedditSource
    from tests.support.reddit import BRAND, settings

    for name in ("CLIENT_ID", "CLIENT_SECRET", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"MENTIONDESK_REDDIT_{name}", raising=False)
    with sandbox(clock) as sbx:
        st = settings(sbx)
        with pytest.raises(AuthError, match="MENTIONDESK_REDDIT_CLIENT_ID"):
            RedditSource(st, BRAND, clock, RedditClient(st, clock)).poll(None)


def test_read_only_credentials_read_search_and_comments(clock):
    read_only = RedditCredentials(CREDS.client_id, CREDS.client_secret)
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora", "", "ann", created_utc=ts(clock, 60))
        poll = make_source(sbx, clock, creds=read_only, username_mentions=False).poll(None)
        assert ids(poll) == [post["name"]]
        with pytest.raises(AuthError, match="username_mentions"):
            make_source(sbx, clock, creds=read_only).poll(None)


def test_a_hostile_comment_body_arrives_intact(clock):
    body = ("Lumora <script>alert('x')</script> &amp; \u200b\u200d\u202eevil\u202c "
            "\U0001f4a1 " + "A" * 20_000 + " `code` [link](javascript:alert(1))")
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "q", "", "ann", created_utc=ts(clock, 60))
        hostile = sbx.add_comment(post["name"], body, "mallory", created_utc=ts(clock, 10))
        poll = make_source(sbx, clock, search_submissions=False).poll(None)
    assert ids(poll) == [hostile["name"]]
    assert poll.mentions[0].text == body


def test_more_new_items_than_pages_say_so(clock):
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora megathread", "", "ann",
                                  created_utc=ts(clock, 1000))
        source = make_source(sbx, clock, search_submissions=False, overlap_seconds=0)
        first = source.poll(None)
        clock.advance(60)
        for i in range(130):
            sbx.add_comment(post["name"], f"Lumora take {i}", f"u{i}", created_utc=ts(clock, 30))
        poll = source.poll(first.cursor)
    assert len(poll.mentions) == 100
    assert any("did not reach the cursor" in note for note in poll.notes)


def test_a_missing_subreddit_pauses_the_source_with_a_clear_line(clock):
    with sandbox(clock) as sbx, pytest.raises(AuthError, match="does not exist"):
        make_source(sbx, clock, subreddits=["nosuchsub"], username_mentions=False).poll(None)


def test_sample_mentions_feed_the_sandbox(clock, tmp_path: Path):
    lines = [
        {"offset_s": 1.0, "platform": "reddit", "id": "s1", "kind": "post",
         "author": {"id": "u1", "handle": "ghost", "followers": 5321}, "text": "Anyone?",
         "title": "Lumora vs Hue", "subreddit": "smarthome", "in_reply_to_id": "",
         "conversation_id": "s1", "engagement": {"likes": 217}},
        {"offset_s": 2.0, "platform": "reddit", "id": "s2", "kind": "comment",
         "author": {"id": "u2", "handle": "bob", "followers": 40}, "text": "Avoid the strips",
         "title": "", "subreddit": "", "in_reply_to_id": "s1", "conversation_id": "s1",
         "engagement": {"likes": 3}},
        {"offset_s": 3.0, "platform": "x", "id": "s3", "text": "@lumora hi"},
    ]
    path = tmp_path / "mentions.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    with sandbox(clock) as sbx:
        assert sbx.feed_samples(path, start_utc=ts(clock, 60)) == 2
        poll = make_source(sbx, clock, subreddits=["smarthome"]).poll(None)
    assert [m.text for m in poll.mentions] == ["Lumora vs Hue\n\nAnyone?", "Avoid the strips"]
    assert poll.mentions[0].author.followers == 5321 and poll.mentions[0].engagement["score"] == 217
    assert poll.mentions[1].in_reply_to_id == poll.mentions[0].platform_id


def test_a_busy_listing_that_reaches_the_cursor_gives_no_false_warning(clock):
    """Two full pages inside the overlap window, down to items already read: nothing
    was missed, so no "did not reach the cursor" note (it came every poll)."""
    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora megathread", "", "ann",
                                  created_utc=ts(clock, 3000))
        for i in range(150):
            sbx.add_comment(post["name"], f"Lumora old take {i}", f"o{i}",
                            created_utc=ts(clock, 300 - i))
        source = make_source(sbx, clock, search_submissions=False, comment_pages=2)
        first = source.poll(None)
        clock.advance(60)
        for i in range(60):
            sbx.add_comment(post["name"], f"Lumora new take {i}", f"n{i}",
                            created_utc=ts(clock, 30 - i / 10))
        poll = source.poll(first.cursor)
    assert len(poll.mentions) == 60 and len(set(ids(poll))) == 60
    assert not any("did not reach" in note for note in poll.notes)


def test_a_late_search_index_is_caught_by_the_overlap_window(clock):
    with sandbox(clock) as sbx:
        sbx.search_lag_seconds = 240  # Reddit's search shows posts minutes late
        source = make_source(sbx, clock, subreddit_comments=False, username_mentions=False)
        first = source.poll(None)
        late = sbx.add_submission("gadgets", "Lumora lamp flickers", "", "kim",
                                  created_utc=ts(clock))
        clock.advance(60)
        second = source.poll(first.cursor)
        newer = sbx.add_submission("gadgets", "Lumora fan", "", "lee", created_utc=ts(clock))
        clock.advance(300)
        third = source.poll(second.cursor)
        clock.advance(60)
        fourth = source.poll(third.cursor)
    assert ids(second) == []  # not indexed yet
    assert sorted(ids(third)) == sorted([late["name"], newer["name"]])
    assert ids(fourth) == []  # and never twice


def test_a_rate_limited_karma_lookup_keeps_the_stored_karma(clock, store):
    from store import mentions

    with sandbox(clock) as sbx:
        post = sbx.add_submission("gadgets", "Lumora question", "", "carol",
                                  created_utc=ts(clock, 100), karma=900)
        source = make_source(sbx, clock, subreddit_comments=False, username_mentions=False)
        first = source.poll(None)
        mentions.save_poll(store, "reddit-lumora", "Lumora", first.mentions, first.cursor,
                           clock.now())
        clock.advance(7 * 3600)  # the karma cache expired
        sbx.add_comment(post["name"], "Lumora still broken", "carol", created_utc=ts(clock))
        sbx.fail_next(429, path="/api/user_data_by_account_ids")
        fresh = make_source(sbx, clock, search_submissions=False, username_mentions=False)
        second = fresh.poll(None)
        mentions.save_poll(store, "reddit-lumora", "Lumora", second.mentions, second.cursor,
                           clock.now())
    assert any("karma unavailable" in note for note in second.notes)
    karma = store.query("SELECT followers FROM authors WHERE handle = 'carol'")
    assert karma == [{"followers": 900}]
