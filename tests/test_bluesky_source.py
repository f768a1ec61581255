"""The Bluesky source, through the real atproto client, against the sandbox over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from core.errors import AuthError, MalformedResponse, RateLimited, SourceUnavailable
from sandbox.bluesky_api import BlueskySandbox
from tests.support.bluesky import (
    BRAND_HANDLE,
    make_client,
    make_source,
    new_sandbox,
)

NOTIFICATIONS = "app.bsky.notification.listNotifications"


@pytest.fixture
def sandbox(clock):
    with new_sandbox(clock) as sb:
        yield sb


def mentions_of(sandbox, n, clock, *, start_minutes=600, author="fan{}.bsky.social"):
    """``n`` posts mentioning the brand, one every 10 s, oldest first; returns their uris."""
    start = clock.now() - timedelta(minutes=start_minutes)
    return [sandbox.add_post(author.format(i), f"@{BRAND_HANDLE} question number {i}",
                             created_at=start + timedelta(seconds=10 * i)) for i in range(n)]


def ids(poll):
    return [m.platform_id for m in poll.mentions]


def test_mentions_replies_and_quotes_are_read_likes_follows_and_own_posts_are_not(
        sandbox, clock):
    earlier = clock.now() - timedelta(minutes=30)
    ours = sandbox.add_post(BRAND_HANDLE, "Our new Lumora lamp is out", created_at=earlier)
    sandbox.add_account("ann.bsky.social", "Ann", followers=1234)
    mention = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} mi pedido no llegó",
                               created_at=earlier + timedelta(minutes=1), langs=["es"])
    reply = sandbox.add_post("bob.bsky.social", "does it dim?", reply_to=ours,
                             created_at=earlier + timedelta(minutes=2))
    deeper = sandbox.add_post("cat.bsky.social", f"@{BRAND_HANDLE} same question as Bob",
                              reply_to=reply, created_at=earlier + timedelta(minutes=3))
    quote = sandbox.add_post("dan.bsky.social", "this lamp flickers", quote=ours,
                             created_at=earlier + timedelta(minutes=4))
    sandbox.add_like("eve.bsky.social", ours, at=earlier + timedelta(minutes=5))
    sandbox.add_follow("fay.bsky.social", at=earlier + timedelta(minutes=6))
    sandbox.add_post("lumorahelp.bsky.social", f"@{BRAND_HANDLE} handing over to you",
                     created_at=earlier + timedelta(minutes=7))
    sandbox.add_post("gus.bsky.social", "Lumora lamps are nice (no mention, no tag)",
                     created_at=earlier + timedelta(minutes=8))

    poll = make_source(sandbox, clock, own_accounts=["lumorahelp.bsky.social"]).poll(None)

    by_id = {m.platform_id: m for m in poll.mentions}
    assert set(by_id) == {mention, reply, deeper, quote}
    first = by_id[mention]
    assert first.platform == "bluesky" and first.author.handle == "ann.bsky.social"
    assert first.author.followers == 1234 and first.author.name == "Ann"
    assert first.author.platform_id == mention.split("/")[2]  # the author's did
    assert first.lang == "es" and first.created_at == earlier + timedelta(minutes=1)
    assert first.url == f"https://bsky.app/profile/ann.bsky.social/post/{mention.split('/')[-1]}"
    assert first.conversation_id == mention and first.in_reply_to_id == ""
    assert by_id[reply].conversation_id == ours and by_id[reply].in_reply_to_id == ours
    assert by_id[deeper].conversation_id == ours and by_id[deeper].in_reply_to_id == reply
    assert by_id[quote].raw["reason"] == "quote"
    # The server was asked for the three reasons only.
    assert sandbox.calls[1].nsid == NOTIFICATIONS
    assert sandbox.calls[1].params["reasons"] == ["mention", "reply", "quote"]


def test_pages_and_cursor_read_everything_once(sandbox, clock):
    first = mentions_of(sandbox, 230, clock)
    source = make_source(sandbox, clock, follower_lookup=False)

    poll = source.poll(None)
    assert sorted(ids(poll)) == sorted(first) and len(ids(poll)) == 230
    assert sandbox.count(NOTIFICATIONS) == 3  # pages of 100, 100, 30
    assert poll.requests == 4  # with the login

    clock.advance(60)
    later = mentions_of(sandbox, 5, clock, start_minutes=1, author="late{}.bsky.social")
    again = source.poll(poll.cursor)
    assert sorted(ids(again)) == sorted(later)
    assert again.requests == 1  # one page: the session is kept, no second login

    clock.advance(60)
    assert ids(source.poll(again.cursor)) == []


def test_posts_at_the_same_instant_across_a_page_boundary(sandbox, clock):
    moment = clock.now() - timedelta(minutes=1)
    same = [sandbox.add_post(f"u{i}.bsky.social", f"@{BRAND_HANDLE} hi {i}", created_at=moment)
            for i in range(150)]
    source = make_source(sandbox, clock, follower_lookup=False)
    poll = source.poll(None)
    assert sorted(ids(poll)) == sorted(same)

    one_more = sandbox.add_post("late.bsky.social", f"@{BRAND_HANDLE} me too", created_at=moment)
    clock.advance(10)
    assert ids(source.poll(poll.cursor)) == [one_more]


def test_a_late_indexed_post_below_the_newest_is_not_missed(sandbox, clock):
    t0 = clock.now()
    late = sandbox.add_post("slow.bsky.social", f"@{BRAND_HANDLE} written first",
                            created_at=t0, indexed_at=t0 + timedelta(seconds=40))
    quick = sandbox.add_post("quick.bsky.social", f"@{BRAND_HANDLE} written second",
                             created_at=t0 + timedelta(seconds=5))
    source = make_source(sandbox, clock, follower_lookup=False)
    clock.advance(10)
    poll = source.poll(None)
    assert ids(poll) == [quick]

    clock.advance(60)  # now the first post is indexed, sorted below the second one
    again = source.poll(poll.cursor)
    assert ids(again) == [late]
    clock.advance(60)
    assert ids(source.poll(again.cursor)) == []


def test_the_brands_bluesky_handles_are_its_own_accounts(sandbox, clock):
    from config.settings import BrandSettings
    from listener.bluesky.source import BlueskySource
    from tests.support.bluesky import bluesky_settings

    helper = sandbox.add_post("lumorahelp.bsky.social", f"@{BRAND_HANDLE} over to you",
                              created_at=clock.now() - timedelta(minutes=2))
    fan = sandbox.add_post("fan.bsky.social", f"@{BRAND_HANDLE} hi",
                           created_at=clock.now() - timedelta(minutes=1))
    brand = BrandSettings(name="Lumora", handles=["lumora", "lumorahelp.bsky.social"],
                          keywords=["Lumora"])
    source = BlueskySource(bluesky_settings(sandbox), brand, clock, make_client(sandbox, clock))
    assert ids(source.poll(None)) == [fan]
    assert helper in sandbox.posts


def test_a_rate_limit_on_the_first_page_raises_with_the_reset(sandbox, clock):
    mentions_of(sandbox, 3, clock)
    source = make_source(sandbox, clock)
    sandbox.fail_next(429, nsid=NOTIFICATIONS, reset_in=120)
    with pytest.raises(RateLimited) as caught:
        source.poll(None)
    assert caught.value.reset_at == clock.now() + timedelta(seconds=120)


def test_a_rate_limit_mid_poll_keeps_the_pages_read_and_drains_the_backlog(sandbox, clock):
    backlog = mentions_of(sandbox, 350, clock)
    source = make_source(sandbox, clock, follower_lookup=False)
    sandbox.fail_next(429, nsid=NOTIFICATIONS, skip=1, reset_in=300)

    poll = source.poll(None)
    assert len(ids(poll)) == 100  # the first page is kept...
    assert "1 older stretch" in poll.notes[0]
    assert poll.retry_at == clock.now() + timedelta(seconds=300)  # ...and the wait is said

    clock.advance(301)
    fresh = mentions_of(sandbox, 2, clock, start_minutes=1, author="new{}.bsky.social")
    rest = source.poll(poll.cursor)
    got = ids(poll) + ids(rest)
    assert sorted(got) == sorted(backlog + fresh) and len(got) == len(set(got))
    assert rest.cursor["notifications"]["gaps"] == [] and rest.retry_at is None


def test_a_spent_rate_budget_stops_the_poll_before_a_429(clock):
    with BlueskySandbox(brand_handle=BRAND_HANDLE, clock=clock,
                        endpoint_limits={NOTIFICATIONS: 2}) as sandbox:
        backlog = mentions_of(sandbox, 350, clock)
        source = make_source(sandbox, clock, follower_lookup=False)
        poll = source.poll(None)
        assert len(poll.mentions) == 200  # two pages, then "remaining 0": no third call
        assert sandbox.count(NOTIFICATIONS) == 2
        assert poll.retry_at == clock.now() + timedelta(seconds=300)
        got = ids(poll)
        while poll.retry_at:  # as the pipeline does: wait for the reset, go on
            clock.advance((poll.retry_at - clock.now()).total_seconds() + 1)
            poll = source.poll(poll.cursor)
            got += ids(poll)
        assert sorted(got) == sorted(backlog)
        assert all(c.status == 200 for c in sandbox.calls)  # never a 429


def test_a_page_budget_spreads_a_backlog_over_polls(sandbox, clock):
    backlog = mentions_of(sandbox, 450, clock)
    source = make_source(sandbox, clock, follower_lookup=False, notification_pages=2)
    got, cursor, sizes = [], None, []
    for _ in range(5):
        poll = source.poll(cursor)
        got += ids(poll)
        sizes.append(len(poll.mentions))
        cursor = poll.cursor
        clock.advance(60)
    assert sizes == [200, 100, 100, 50, 0]  # each later poll spends a page on the newest
    assert sorted(got) == sorted(backlog)


def test_5xx_is_retried_then_reported_unavailable(sandbox, clock):
    mentions_of(sandbox, 2, clock)
    source = make_source(sandbox, clock, max_retries=2)
    sandbox.fail_next(503, nsid=NOTIFICATIONS)
    assert len(source.poll(None).mentions) == 2
    sandbox.fail_next(503, times=3, nsid=NOTIFICATIONS)
    with pytest.raises(SourceUnavailable):
        source.poll(None)


def test_a_post_with_a_bad_created_at_is_kept_at_its_indexing_time(sandbox, clock):
    uri = sandbox.add_post("odd.bsky.social", f"@{BRAND_HANDLE} hi",
                           created_at=clock.now() - timedelta(minutes=3))
    sandbox.posts[uri]["record"]["createdAt"] = "last tuesday"  # clients write anything
    [mention] = make_source(sandbox, clock).poll(None).mentions
    assert mention.created_at == clock.now() - timedelta(minutes=3)


def test_an_unreadable_answer_moves_nothing(sandbox, clock):
    mentions_of(sandbox, 2, clock)
    source = make_source(sandbox, clock)
    sandbox.malformed_next(NOTIFICATIONS)
    with pytest.raises(MalformedResponse):
        source.poll(None)
    assert len(source.poll(None).mentions) == 2


def test_the_session_is_kept_refreshed_and_only_recreated_when_refused(sandbox, clock):
    mentions_of(sandbox, 1, clock)
    source = make_source(sandbox, clock, follower_lookup=False)
    cursor = source.poll(None).cursor
    for _ in range(3):
        clock.advance(60)
        cursor = source.poll(cursor).cursor
    assert sandbox.count("com.atproto.server.createSession") == 1

    clock.advance(hours=2)  # the access token nears its expiry: the SDK refreshes it first
    cursor = source.poll(cursor).cursor
    assert sandbox.count("com.atproto.server.refreshSession") == 1

    sandbox.expire_access_tokens()  # the PDS answers 400 ExpiredToken: refresh, repeat once
    poll = source.poll(cursor)
    assert sandbox.count("com.atproto.server.refreshSession") == 2
    assert sandbox.calls[-1].nsid == NOTIFICATIONS and sandbox.calls[-1].status == 200

    clock.advance(days=91)  # the refresh token has expired too: log in again
    source.poll(poll.cursor)
    assert sandbox.count("com.atproto.server.createSession") == 2


@pytest.mark.parametrize("status", [400, 401])
def test_an_expired_token_answer_refreshes_and_repeats_the_call(sandbox, clock, status):
    mentions_of(sandbox, 1, clock)
    source = make_source(sandbox, clock, follower_lookup=False)
    cursor = source.poll(None).cursor
    sandbox.expired_status = status
    sandbox.expire_access_tokens()
    clock.advance(60)
    fresh = mentions_of(sandbox, 1, clock, start_minutes=0.5, author="new{}.bsky.social")
    assert ids(source.poll(cursor)) == fresh
    assert [c.status for c in sandbox.calls[-3:]] == [status, 200, 200]  # refresh, repeat
    assert sandbox.count("com.atproto.server.createSession") == 1


def test_wrong_app_password_is_an_auth_error(sandbox, clock):
    source = make_source(sandbox, clock, client=make_client(sandbox, clock, password="nope"))
    with pytest.raises(AuthError, match="check the handle and app password"):
        source.poll(None)


def test_a_refused_login_is_not_retried_before_its_reset(sandbox, clock):
    sandbox.login_limit = 1
    make_source(sandbox, clock).poll(None)  # another process used the one login
    source = make_source(sandbox, clock)
    with pytest.raises(RateLimited) as caught:
        source.poll(None)
    assert caught.value.reset_at == clock.now() + timedelta(minutes=5)
    with pytest.raises(RateLimited):
        source.poll(None)
    assert sandbox.count("com.atproto.server.createSession") == 2  # not a third time
    clock.advance(minutes=5)
    source.poll(None)
    assert sandbox.count("com.atproto.server.createSession") == 3


def test_keyword_search_is_optional_sparing_and_filtered(sandbox, clock):
    start = clock.now() - timedelta(minutes=20)
    hit = sandbox.add_post("ann.bsky.social", "my Lumora hub keeps dropping wifi",
                           created_at=start)
    sandbox.add_post("bob.bsky.social", "hiking at Lumora Falls today", created_at=start)
    sandbox.add_post(BRAND_HANDLE, "Lumora status: all good", created_at=start)
    sandbox.add_post("cat.bsky.social", "nothing to see", created_at=start)
    mention = sandbox.add_post("dan.bsky.social", f"@{BRAND_HANDLE} Lumora app down?",
                               created_at=start)

    assert sorted(ids(make_source(sandbox, clock).poll(None))) == [mention]  # search is off
    assert sandbox.count("app.bsky.feed.searchPosts") == 0

    source = make_source(sandbox, clock, keyword_search=True, search_interval_seconds=900)
    poll = source.poll(None)
    assert sorted(ids(poll)) == sorted([hit, mention])  # one each, brand and Falls dropped
    assert sandbox.count("app.bsky.feed.searchPosts") == 1
    assert sandbox.calls[-2].params["sort"] == "latest"

    clock.advance(300)
    newer = sandbox.add_post("eve.bsky.social", "Lumora support was quick", created_at=clock.now())
    quiet = source.poll(poll.cursor)
    assert ids(quiet) == [] and sandbox.count("app.bsky.feed.searchPosts") == 1

    clock.advance(600)
    assert ids(source.poll(quiet.cursor)) == [newer]
    assert sandbox.count("app.bsky.feed.searchPosts") == 2


def test_the_sample_posts_reach_the_desk_as_the_demo_shows_them(sandbox, clock):
    from tests.support import SAMPLE

    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["platform"] == "bluesky"]
    assert sandbox.load_samples(SAMPLE, speed=100, start=clock.now()) == len(rows)
    clock.advance(10)  # every sample post is out
    poll = make_source(sandbox, clock, keyword_search=True).poll(None)

    kept = {sandbox.sample_uri(r["id"]) for r in rows if r["expected"]["category"] != "excluded"}
    assert sorted(ids(poll)) == sorted(kept)  # mentions by facet, the rest by search
    by_id = {m.platform_id: m for m in poll.mentions}
    author = {r["id"]: r["author"]["id"] for r in rows}
    follow_up = next(r for r in rows if r["kind"] == "reply"
                     and author[r["in_reply_to_id"]] == r["author"]["id"])  # Tess, again
    mention = by_id[sandbox.sample_uri(follow_up["id"])]
    assert mention.in_reply_to_id == sandbox.sample_uri(follow_up["in_reply_to_id"])
    assert mention.author.followers == follow_up["author"]["followers"]
