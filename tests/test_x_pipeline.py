"""The X source and publisher inside the real pipeline, with a real SQLite file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.reply import ReplyRequest
from listener.platforms import build_publisher, build_source
from listener.x.publisher import XPublisher
from listener.x.source import XSource
from pipeline.jobs import Pipeline
from sandbox.x_api import XSandbox
from store import drafts, mentions, publishing, sources
from tests.support import Grumpy, mentions_by_status
from tests.support.x import X_SOURCE


@pytest.fixture
def sandbox(clock):
    with XSandbox(brand_handle="lumora", clock=clock) as sb:
        yield sb


@pytest.fixture
def pipeline(sandbox, clock, make_settings, store):
    settings = make_settings([], X_SOURCE.format(url=sandbox.url))
    x = next(s for s in settings.sources if s.platform == "x")
    source, publisher = build_source(x, settings, clock), build_publisher(x, settings, clock)
    assert isinstance(source, XSource) and isinstance(publisher, XPublisher)
    return Pipeline(store=store, settings=settings, classifier=Grumpy(),
                    sources={"x-lumora": source}, publishers={"x-lumora": publisher},
                    clock=clock)


def test_crash_between_pages_stores_nothing_then_everything_once(pipeline, sandbox, store,
                                                                 clock):
    for i in range(250):
        sandbox.add_tweet(f"@lumora my order {i} never arrived", f"user{i}",
                          created_at=clock.now() - timedelta(minutes=300 - i))
    sandbox.fail_next(500, skip=1)  # page 2 of 3 fails: the poll dies mid-way
    assert pipeline.poll_source("x-lumora") == 0
    assert mentions_by_status(store) == {}
    assert sources.get_cursor(store, "x-lumora") is None

    assert pipeline.poll_source("x-lumora") == 250
    clock.advance(60)
    assert pipeline.poll_source("x-lumora") == 0
    assert sum(mentions_by_status(store).values()) == 250
    assert sandbox.requests[-1].params["since_id"] == \
        sources.get_cursor(store, "x-lumora")["since_id"]


def test_rate_limit_pauses_only_until_reset(pipeline, sandbox, store, clock):
    sandbox.add_tweet("@lumora hello?", "ann", created_at=clock.now() - timedelta(minutes=1))
    sandbox.fail_next(429, reset_in=300)
    assert pipeline.poll_source("x-lumora") == 0
    until, _ = sources.paused_until(store, "x-lumora")
    assert until is not None and (until - clock.now()).total_seconds() == pytest.approx(300, 1)
    before = len(sandbox.requests)
    pipeline.poll_source("x-lumora")
    assert len(sandbox.requests) == before  # skipped, not blocked
    clock.advance(301)
    assert pipeline.poll_source("x-lumora") == 1


def test_reply_posted_once_across_a_crash(pipeline, sandbox, store, clock):
    target = sandbox.add_tweet("@lumora my lamp is broken, please help",
                               "ann", created_at=clock.now() - timedelta(minutes=2))
    pipeline.run_once()
    draft = drafts.pending(store)[0]
    assert draft["api_replyable"]
    drafts.approve(store, draft["draft_id"], "mia", draft["version"], clock.now())
    # The crash: marked posting, the POST went out, the process died before mark_posted.
    publishing.mark_posting(store, draft["draft_id"], clock.now())
    row = drafts.get(store, draft["draft_id"])
    publisher = pipeline.publishers["x-lumora"]
    posted = publisher.publish(ReplyRequest(draft["draft_id"], "x", target, target,
                                          row["draft_text"]))
    assert sandbox.count("/2/tweets", "POST") == 1

    clock.advance(120)
    assert pipeline.publish_batch() == 1
    assert sandbox.count("/2/tweets", "POST") == 1  # found, not posted again
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "posted" and row["status"] == "replied"
    assert [t["id"] for t in sandbox.posts_by("lumora")] == [posted.platform_id]
    assert pipeline.publish_batch() == 0


def test_policy_refusal_marks_the_draft_with_a_manual_link(pipeline, sandbox, store, clock):
    sandbox.refuse_unmentioned_replies = True
    sandbox.add_tweet("my Lumora lamp is broken, help", "bob",
                      created_at=clock.now() - timedelta(minutes=2))
    pipeline.run_once()
    draft = drafts.pending(store)[0]
    assert not draft["api_replyable"]  # known at triage time, shown in the queue
    drafts.approve(store, draft["draft_id"], "mia", draft["version"], clock.now())
    clock.advance(10)  # the undo window passes
    assert pipeline.publish_batch() == 0
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "refused"
    assert row["manual_url"].startswith("https://x.com/intent/post?in_reply_to=")
    assert sandbox.count("/2/tweets", "POST") == 0  # not replyable by API: no attempt


def test_hostile_body_is_stored_intact(pipeline, sandbox, store, clock):
    hostile = "@lumora <script>alert(1)</script>\u200b\u202e" + "😀" * 5000 + "Z" * 10_000
    sandbox.add_tweet(hostile, "mallory", created_at=clock.now() - timedelta(minutes=1))
    assert pipeline.poll_source("x-lumora") == 1
    stored = mentions.untriaged(store, 10)[0]
    assert stored["text"] == hostile


def test_report_shows_the_spend_used_left_and_projected(sandbox, clock, make_settings, store,
                                                        tmp_path, capsys):
    import main

    settings = make_settings([], X_SOURCE.format(url=sandbox.url)
                             + "monthly_spend_cap_usd = 50.0\ninclude_mentions_timeline = true\n")
    x = next(s for s in settings.sources if s.platform == "x")
    pipeline = Pipeline(store=store, settings=settings, classifier=Grumpy(),
                        sources={"x-lumora": build_source(x, settings, clock)}, publishers={},
                        clock=clock)
    for i in range(4):
        sandbox.add_tweet(f"@lumora hi {i}", f"u{i}", created_at=clock.now() - timedelta(hours=1))
    assert pipeline.poll_source("x-lumora") == 4
    assert main.main(["--config", str(tmp_path / "config.toml"), "report"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("x-lumora:"))
    assert "spend $" in line and "/$50.00 used" in line and "left, projected $" in line
