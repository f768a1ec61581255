"""Exactly once, whoever publishes: leases, attempts, back-off and the 429 pause, against
the X sandbox through real tweepy, with real SQLite files."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest

from listener.platforms import build_publisher, build_source
from pipeline.jobs import Pipeline
from sandbox.x_api import XSandbox
from store import audit, drafts, publishing
from store.operations import drafts_by_state
from store.schema import open_store
from tests.support import Grumpy
from tests.support.x import X_SOURCE


@pytest.fixture
def sandbox(clock):
    with XSandbox(brand_handle="lumora", clock=clock) as sb:
        sb.refuse_duplicates = False  # a second post must show up as a second post
        yield sb


@pytest.fixture
def settings(sandbox, make_settings):
    return make_settings([], X_SOURCE.format(url=sandbox.url))


def publisher_process(settings, clock, seed: int = 1) -> Pipeline:
    """What one process has: its own connection, its own clients, its own lease owner."""
    x = next(s for s in settings.sources if s.platform == "x")
    return Pipeline(store=open_store(settings.app.database), settings=settings,
                    classifier=Grumpy(), sources={x.name: build_source(x, settings, clock)},
                    publishers={x.name: build_publisher(x, settings, clock)}, clock=clock,
                    rng=random.Random(seed))


def approved(pipeline: Pipeline, sandbox: XSandbox, clock, n: int) -> list[int]:
    for i in range(n):
        sandbox.add_tweet(f"@lumora order {i} never arrived, help", f"user{i}",
                          created_at=clock.now() - timedelta(minutes=2))
    pipeline.run_once()
    ids = []
    for d in drafts.pending(pipeline.store):
        drafts.approve(pipeline.store, d["draft_id"], "mia", d["version"], clock.now())
        ids.append(d["draft_id"])
    assert len(ids) == n
    clock.advance(pipeline.settings.pipeline.undo_seconds)  # past the agents' undo window
    return ids


def posts(sandbox: XSandbox) -> int:
    return sum(1 for r in sandbox.requests
               if r.method == "POST" and r.path == "/2/tweets" and r.status == 201)


def test_two_publishers_on_one_database_post_each_reply_once(settings, sandbox, clock):
    first, second = publisher_process(settings, clock, 1), publisher_process(settings, clock, 2)
    ids = approved(first, sandbox, clock, 8)
    sandbox.slow_next(0.05, times=8, path="/2/tweets")  # posts overlap the other's reads
    barrier = threading.Barrier(2)
    totals: dict[str, int] = {}

    def run(name: str, pipeline: Pipeline) -> None:
        barrier.wait()
        totals[name] = sum(pipeline.publish_batch() for _ in range(3))

    threads = [threading.Thread(target=run, args=(n, p))
               for n, p in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert posts(sandbox) == 8
    assert totals["first"] + totals["second"] == 8
    assert drafts_by_state(first.store) == {"posted": 8}
    assert len({r["posted_id"] for r in first.store.query("SELECT posted_id FROM drafts")}) == 8
    posted = [e for e in audit.entries(first.store) if e["action"] == "posted"]
    assert sorted(e["draft_id"] for e in posted) == sorted(ids)


def test_a_live_lease_keeps_other_processes_off_the_draft(settings, sandbox, clock):
    first, second = publisher_process(settings, clock, 1), publisher_process(settings, clock, 2)
    [draft_id] = approved(first, sandbox, clock, 1)
    lease = settings.pipeline.publish_lease_seconds
    taken = publishing.mark_posting(first.store, draft_id, clock.now(), owner=first.owner,
                                lease_seconds=lease)
    assert taken is not None and not taken.check_first and taken.attempts == 1
    # The holder is busy (or dead): nobody else may check or post before the lease ends.
    assert publishing.mark_posting(second.store, draft_id, clock.now(), owner=second.owner) is None
    assert second.publish_batch() == 0
    clock.advance(lease - 1)
    assert second.publish_batch() == 0
    assert posts(sandbox) == 0
    clock.advance(1)  # the lease ran out: the other process checks first, then posts
    assert second.publish_batch() == 1
    assert posts(sandbox) == 1
    assert drafts.get(second.store, draft_id)["attempts"] == 2


def test_an_outage_backs_off_and_the_reply_goes_out_once(settings, sandbox, clock):
    pipeline = publisher_process(settings, clock)
    [draft_id] = approved(pipeline, sandbox, clock, 1)
    sandbox.fail_next(503, times=3, path="/2/tweets")  # posts and the checks after them
    failed = 0
    while pipeline.publish_batch() == 0:
        failed += 1
        row = pipeline.store.query("SELECT next_attempt_at, error, status FROM drafts"
                                   " WHERE id = ?", [draft_id])[0]
        assert row["status"] == "posting" and "503" in row["error"]
        assert row["next_attempt_at"] > clock.now().isoformat()
        assert publishing.to_publish(pipeline.store, 10, clock.now()) == []  # not before then
        assert pipeline.publish_batch() == 0  # however often the job ticks
        clock.advance(3600 * 2)
        assert failed < 5
    assert failed >= 2
    assert posts(sandbox) == 1
    row = drafts.get(pipeline.store, draft_id)
    assert row["draft_status"] == "posted" and row["attempts"] == failed + 1
    # One audit row per state change, however many ticks and retries there were.
    actions = [e["action"] for e in reversed(audit.entries(pipeline.store))]
    assert actions == ["drafted", "approved", "posting", "posted"]


def test_backoff_doubles_with_jitter_up_to_the_cap(settings, clock):
    pipeline = publisher_process(settings, clock)
    base = settings.pipeline.publish_retry_seconds
    for attempt in range(1, 5):
        wait = pipeline._backoff(attempt).total_seconds()
        assert base * 2 ** (attempt - 1) * 0.5 <= wait <= base * 2 ** (attempt - 1) * 1.5
    cap = settings.pipeline.publish_retry_max_seconds
    assert pipeline._backoff(40).total_seconds() <= cap * 1.5


def test_a_failed_check_counts_as_an_attempt_and_gives_up_at_the_limit(settings, sandbox,
                                                                        clock):
    pipeline = publisher_process(settings, clock)
    [draft_id] = approved(pipeline, sandbox, clock, 1)
    limit = settings.pipeline.publish_max_attempts
    publishing.mark_posting(pipeline.store, draft_id, clock.now(), owner=pipeline.owner)
    sandbox.fail_next(503, times=100)  # every post and every check fails
    for _ in range(limit + 3):
        clock.advance(7200)
        pipeline.publish_batch()
    row = drafts.get(pipeline.store, draft_id)
    # The checks failed too, so it never knew whether the reply was out: it keeps
    # checking (backing off) rather than posting again or giving up blind.
    assert row["draft_status"] == "posting" and row["attempts"] > limit
    assert posts(sandbox) == 0
    sandbox.faults.clear()
    clock.advance(7200)
    pipeline.publish_batch()  # the check now answers "not there", and no attempts are left
    row = drafts.get(pipeline.store, draft_id)
    assert row["draft_status"] == "failed"
    assert posts(sandbox) == 0
    actions = [e["action"] for e in reversed(audit.entries(pipeline.store))]
    assert actions == ["drafted", "approved", "posting", "post failed"]
