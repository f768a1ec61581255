"""The X source: real tweepy over HTTP to the sandbox on 127.0.0.1, clock injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import ManualClock
from core.errors import AuthError, MalformedResponse, RateLimited, SourceUnavailable
from sandbox.x_api import XSandbox
from tests.support.x import Sleeps, make_source


@pytest.fixture
def sandbox(clock):
    with XSandbox(brand_handle="lumora", clock=clock) as sb:
        yield sb


def _past(clock: ManualClock, minutes: float):
    return clock.now() - timedelta(minutes=minutes)


def test_first_poll_normalises_and_drops_retweets_and_own_posts(sandbox, clock):
    sandbox.add_user("ann", "Ann", followers=120, verified=True)
    m1 = sandbox.add_tweet("@lumora my order never arrived", "ann", created_at=_past(clock, 30),
                           metrics={"like_count": 3})
    sandbox.add_tweet("RT @ann: @lumora my order never arrived", "bob",
                      created_at=_past(clock, 20), kind="repost", in_reply_to=m1)
    sandbox.add_tweet("New Lumora lamps are out!", "lumora", created_at=_past(clock, 15))
    m2 = sandbox.add_tweet("the Lumora lamp is great", "cara", created_at=_past(clock, 10))
    sandbox.add_tweet("hiking at Lumora Falls today", "dan", created_at=_past(clock, 5))
    sandbox.add_tweet("nothing to see", "eve", created_at=_past(clock, 4))
    sandbox.add_tweet("@lumora ¿dónde está mi pedido?", "fay", created_at=_past(clock, 3),
                      lang="es")

    poll = make_source(sandbox, clock).poll(None)

    assert [m.platform_id for m in poll.mentions] == [m2, m1]  # newest first, as X gives
    assert poll.requests == 1
    assert poll.cursor["since_id"] == m2
    first = poll.mentions[1]
    assert first.author.handle == "ann" and first.author.followers == 120
    assert first.author.verified and first.engagement["like_count"] == 3
    assert first.url == f"https://x.com/ann/status/{m1}"
    assert first.created_at == _past(clock, 30).replace(microsecond=0)
    assert first.api_replyable is True
    assert poll.mentions[0].api_replyable is False  # keyword hit, no @mention
    request = sandbox.requests[0]
    assert request.params["max_results"] == "100" and "since_id" not in request.params
    assert "-is:retweet" in request.params["query"]
    assert "author_id" in request.params["expansions"]


def test_incremental_poll_uses_since_id(sandbox, clock):
    sandbox.add_tweet("@lumora hi", "ann", created_at=_past(clock, 10))
    source = make_source(sandbox, clock)
    first = source.poll(None)
    clock.advance(60)
    new = [sandbox.add_tweet(f"@lumora more {i}", "bob") for i in range(2)]
    clock.advance(31)  # recent search shows posts about 30 s after they are made
    second = source.poll(first.cursor)
    assert sorted(m.platform_id for m in second.mentions) == sorted(new)
    assert sandbox.requests[-1].params["since_id"] == first.cursor["since_id"]
    clock.advance(60)
    third = source.poll(second.cursor)
    assert third.mentions == [] and third.cursor["since_id"] == second.cursor["since_id"]


def test_three_pages_in_one_poll(sandbox, clock):
    ids = [sandbox.add_tweet(f"@lumora note {i}", f"user{i}",
                             created_at=_past(clock, 300 - i)) for i in range(250)]
    poll = make_source(sandbox, clock).poll(None)
    assert poll.requests == 3
    assert len({m.platform_id for m in poll.mentions}) == 250
    assert poll.cursor["since_id"] == max(ids, key=int)
    assert [r.params.get("next_token") is not None for r in sandbox.requests] == \
        [False, True, True]


def test_429_then_recovery_after_reset(sandbox, clock):
    sandbox.add_tweet("@lumora hello", "ann", created_at=_past(clock, 1))
    source = make_source(sandbox, clock)
    sandbox.fail_next(429, reset_in=120)
    with pytest.raises(RateLimited) as caught:
        source.poll(None)
    assert caught.value.reset_at == clock.now().replace(microsecond=0) + timedelta(seconds=120)
    clock.advance(121)
    poll = source.poll(None)
    assert len(poll.mentions) == 1


def test_5xx_is_retried_with_backoff_then_gives_up(sandbox, clock):
    sandbox.add_tweet("@lumora hello", "ann", created_at=_past(clock, 1))
    sleeps = Sleeps()
    source = make_source(sandbox, clock, sleeps, max_retries=3, backoff_seconds=1.0)
    sandbox.fail_next(503, times=2)
    poll = source.poll(None)
    assert len(poll.mentions) == 1 and poll.requests == 3
    assert len(sleeps.calls) == 2
    assert 0.5 <= sleeps.calls[0] <= 1.0 and 1.0 <= sleeps.calls[1] <= 2.0  # jittered

    sandbox.fail_next(500, times=10)
    with pytest.raises(SourceUnavailable, match="4 attempts"):
        source.poll(None)
    assert len(sleeps.calls) == 2 + 3


def test_slow_answer_times_out_and_is_retried(sandbox, clock):
    sandbox.add_tweet("@lumora hello", "ann", created_at=_past(clock, 1))
    sleeps = Sleeps()
    source = make_source(sandbox, clock, sleeps, timeout_seconds=0.2)
    sandbox.slow_next(0.6)
    poll = source.poll(None)
    assert len(poll.mentions) == 1 and poll.requests == 2 and len(sleeps.calls) == 1


def test_auth_and_malformed_answers(sandbox, clock):
    sandbox.add_tweet("@lumora hello", "ann", created_at=_past(clock, 1))
    source = make_source(sandbox, clock)
    sandbox.fail_next(401)
    with pytest.raises(AuthError):
        source.poll(None)
    sandbox.malformed_next()
    with pytest.raises(MalformedResponse):
        source.poll({"since_id": None})


def test_crash_between_pages_moves_nothing(sandbox, clock):
    for i in range(250):
        sandbox.add_tweet(f"@lumora note {i}", f"user{i}", created_at=_past(clock, 300 - i))
    source = make_source(sandbox, clock, max_retries=0)
    sandbox.fail_next(500, skip=1)  # page 2 fails
    with pytest.raises(SourceUnavailable):
        source.poll(None)
    poll = source.poll(None)  # the caller still holds the old (None) cursor
    assert len({m.platform_id for m in poll.mentions}) == len(poll.mentions) == 250


def test_hostile_body_survives_intact(sandbox, clock):
    hostile = ("@lumora <script>alert('x')</script> \u200b\u200d\u202eevil\u202c "
               "&amp; \"quotes\" 🤬 " + "A" * 20_000)
    tid = sandbox.add_tweet(hostile, "mallory", created_at=_past(clock, 1))
    poll = make_source(sandbox, clock).poll(None)
    assert poll.mentions[0].platform_id == tid
    assert poll.mentions[0].text == hostile
    assert poll.mentions[0].raw["tweet"]["text"] == hostile


def test_since_id_older_than_search_window_falls_back(sandbox, clock):
    old = sandbox.add_tweet("@lumora old", "ann", created_at=_past(clock, 8 * 24 * 60))
    fresh = sandbox.add_tweet("@lumora fresh", "ann", created_at=_past(clock, 5))
    poll = make_source(sandbox, clock).poll({"since_id": old})
    assert [m.platform_id for m in poll.mentions] == [fresh]
    assert any("7-day" in note for note in poll.notes)
    assert "since_id" not in sandbox.requests[-1].params


def test_mentions_timeline_is_merged_without_duplicates(sandbox, clock):
    both = sandbox.add_tweet("@lumora both", "ann", created_at=_past(clock, 3))
    sandbox.add_tweet("@lumora hola", "bob", created_at=_past(clock, 2), lang="es")
    source = make_source(sandbox, clock, include_mentions_timeline=True)
    poll = source.poll(None)
    ids = [m.platform_id for m in poll.mentions]
    assert both in ids and len(ids) == len(set(ids)) == 2  # the Spanish one via mentions
    assert poll.cursor["account_id"] == sandbox.brand and "mentions_since_id" in poll.cursor
    clock.advance(60)
    again = source.poll(poll.cursor)
    assert again.mentions == []
    assert sandbox.count("/2/users/by/username") == 1  # the account id is kept


def test_governor_holds_polls_until_due(sandbox, clock):
    for i in range(30):
        sandbox.add_tweet(f"@lumora busy {i}", f"u{i}", created_at=_past(clock, 30 - i))
    source = make_source(sandbox, clock, monthly_read_cap=1500, interval_seconds=60)
    first = source.poll(None)
    budget = first.cursor["budget"]
    assert budget["used"] == len(first.mentions) == 30
    clock.advance(1)
    held = source.poll(first.cursor)
    assert held.requests == 0 and held.mentions == [] and held.cursor == first.cursor


def test_sandbox_fed_from_the_samples_releases_posts_over_time(tmp_path, clock):
    from tests.support import SAMPLE

    with XSandbox(brand_handle="lumora", clock=clock) as sb:
        loaded = sb.load_samples(SAMPLE, speed=10.0)
        source = make_source(sb, clock)
        assert loaded > 100 and source.poll(None).mentions == []  # nothing released yet
        clock.advance(60)  # released over the first 30 s, searchable 30 s later
        first = source.poll(None)
        clock.advance(60)
        rest = source.poll(first.cursor)
        ids = [m.platform_id for m in first.mentions + rest.mentions]
        assert len(first.mentions) > 0 and len(rest.mentions) > len(first.mentions)
        assert len(ids) == len(set(ids)) and all(len(i) == 19 for i in ids)
        assert all(m.author.handle.lower() not in ("lumora", "lumorahelp") for m in
                   first.mentions + rest.mentions)


def test_serve_runs_until_stopped(tmp_path):
    import threading

    from sandbox.x_api import serve
    from tests.support import SAMPLE

    stop, ready = threading.Event(), []
    thread = threading.Thread(target=serve, args=("127.0.0.1", 0, SAMPLE),
                              kwargs={"stop": stop, "on_ready": ready.append, "speed": 1000})
    thread.start()
    try:
        for _ in range(100):
            if ready:
                break
            stop.wait(0.05)
        assert ready and ready[0].url.startswith("http://127.0.0.1:")
        assert len(ready[0].tweets) > 100
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_partial_errors_keep_the_posts_and_become_notes(sandbox, clock):
    tid = sandbox.add_tweet("@lumora where is my refund", "ghost",
                            created_at=_past(clock, 1))
    sandbox.suspended.add(sandbox.user_by_name("ghost")["id"])
    poll = make_source(sandbox, clock).poll(None)
    assert [m.platform_id for m in poll.mentions] == [tid]
    assert poll.mentions[0].author.handle == ""
    assert any("suspended" in note for note in poll.notes)


def test_a_429_part_way_keeps_the_pages_read_and_the_next_poll_goes_on(sandbox, clock):
    posted = {sandbox.add_tweet(f"@lumora backlog {i}", f"user{i}",
                                created_at=_past(clock, 300 - i)) for i in range(250)}
    source = make_source(sandbox, clock)
    sandbox.fail_next(429, skip=1, reset_in=300)  # page 2 of 3 is refused
    first = source.poll(None)
    assert len(first.mentions) == 100 and first.retry_at is not None
    assert "since_id" not in first.cursor and first.cursor["resume"]["search"]["next_token"]
    clock.advance(301)
    late = sandbox.add_tweet("@lumora meanwhile", "zoe", created_at=clock.now())
    clock.advance(31)
    second = source.poll(first.cursor)  # pages 2 and 3 of the same window
    assert second.retry_at is None and "resume" not in second.cursor
    third = source.poll(second.cursor)  # then what came meanwhile
    got = [m.platform_id for p in (first, second, third) for m in p.mentions]
    assert len(got) == len(set(got)) == 251 and set(got) == posted | {late}


def test_a_429_on_the_first_page_still_raises_and_moves_nothing(sandbox, clock):
    sandbox.add_tweet("@lumora hi", "ann", created_at=_past(clock, 5))
    sandbox.fail_next(429)
    with pytest.raises(RateLimited):
        make_source(sandbox, clock).poll({"since_id": "5"})


def test_spend_cap_counts_money_and_reads_the_mentions_timeline_first(sandbox, clock):
    for i in range(30):
        sandbox.add_tweet(f"@lumora busy {i}", f"u{i}", created_at=_past(clock, 30 - i))
    source = make_source(sandbox, clock, include_mentions_timeline=True,
                         monthly_spend_cap_usd=50.0)
    poll = source.poll(None)
    reads = [r.path for r in sandbox.requests if r.path != "/2/users/by/username/lumora"]
    assert reads[0].endswith("/mentions") and reads[-1] == "/2/tweets/search/recent"
    assert len(poll.mentions) == 30
    assert poll.cursor["budget"]["used"] == 30 * 1 + 30 * 5  # $0.001 owned, $0.005 search

    from listener.x.read_budget import Budget, summary

    budget = Budget.of(source.settings)
    line = summary(poll.cursor, budget.cap, clock.now(), money=budget.money).line()
    assert line.startswith("spend $0.18/$50.00 used, $49.82 left, projected $")


def test_a_quote_of_a_brand_post_is_replyable_a_bare_keyword_is_not(sandbox, clock):
    ours = sandbox.add_tweet("Our new Lumora lamp is out", "lumora", created_at=_past(clock, 9))
    quote = sandbox.add_tweet("Lumora lamp already broke", "cat", created_at=_past(clock, 5),
                              quotes=ours)
    bare = sandbox.add_tweet("Lumora lamp is fine I guess", "dan", created_at=_past(clock, 4))
    poll = make_source(sandbox, clock).poll(None)
    replyable = {m.platform_id: m.api_replyable for m in poll.mentions}
    assert replyable == {quote: True, bare: False}


def test_next_cursor_is_pure_and_keeps_where_a_rate_limit_stopped():
    import copy

    from core.errors import RateLimited
    from listener.x.source import MENTIONS, SEARCH, _Fetched, next_cursor

    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    before = {"since_id": "5", "resume": {"mentions": {"next_token": "t0", "newest": "9"}}}
    snapshot = copy.deepcopy(before)
    search, mentions = _Fetched(), _Fetched()
    search.newest, search.window = 12, {"since_id": "5"}
    mentions.pending, mentions.newest = "t1", 7
    mentions.limited = RateLimited("429", now)
    after, notes = next_cursor(before, [(SEARCH, search), (MENTIONS, mentions)], now, "x")
    assert before == snapshot  # the caller's cursor is untouched
    assert after["since_id"] == "12"
    assert after["resume"] == {"mentions": {"next_token": "t1", "newest": "9"}}
    assert "last_poll_at" not in after and len(notes) == 1
    done, _ = next_cursor(after, [(MENTIONS, search)], now, "x")
    assert "resume" not in done and done["mentions_since_id"] == "12"
    assert done["last_poll_at"] == "2026-11-23T09:00:00+00:00"
