"""What every network must do, checked against its sandbox through its real client:
no mention lost or stored twice, and every approved reply posted exactly once, through
rate limits and answers lost after the platform acted. Parametrised over the platform
registry: a new network passes this suite by adding its harness (tests/support/platforms.py).
"""

from __future__ import annotations

import pytest

from config.settings import BrandSettings, Settings
from listener.platforms import PLATFORMS
from pipeline.jobs import Pipeline
from store import drafts, publishing, sources
from tests.support import Grumpy
from tests.support.platforms import HARNESSES, OFFLINE

NETWORKS = sorted(set(PLATFORMS) - OFFLINE)
BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora", "lumora lamp"])


def test_every_registered_network_has_a_harness_and_states_how_it_confirms():
    assert set(NETWORKS) <= set(HARNESSES), "add its harness: tests/support/platforms.py"
    for name, platform in PLATFORMS.items():
        assert platform.name == name and platform.confirms.strip()
        assert platform.settings.model_fields["platform"].annotation.__args__ == (name,)


@pytest.fixture(params=NETWORKS)
def world(request, clock, store):
    """A platform's sandbox, and the real pipeline reading and posting through it."""
    with HARNESSES[request.param](clock) as harness:
        source, publisher = harness.source(), harness.publisher()
        settings = Settings(brands=[BRAND], sources=[source.settings])
        harness.pipeline = Pipeline(store=store, settings=settings, classifier=Grumpy(),
                                    sources={source.name: source},
                                    publishers={source.name: publisher}, clock=clock)
        harness.name = source.name
        yield harness


def poll_until_idle(world, store, rounds: int = 20) -> None:
    """Poll as the daemon would (a paused source waits for its pause to end) until a
    poll that was not rate limited finds nothing new."""
    for _ in range(rounds):
        until, _ = sources.paused_until(store, world.name)
        if until and until > world.clock.now():
            world.clock.advance((until - world.clock.now()).total_seconds() + 1)
        new = world.pipeline.poll_source(world.name)
        until, _ = sources.paused_until(store, world.name)
        if new == 0 and not (until and until > world.clock.now()):
            return
    raise AssertionError("the source never caught up")


def stored_ids(store) -> list[str]:
    return [r["platform_id"] for r in store.query("SELECT platform_id FROM mentions")]


def test_no_mention_lost_or_stored_twice_through_a_rate_limit(world, store):
    seeded = world.seed(250)  # more than two pages on every network
    world.rate_limit_next_read()
    poll_until_idle(world, store)
    got = stored_ids(store)
    assert len(got) == len(set(got)) and set(got) == seeded


def approve_all(world, store, n: int) -> list[dict]:
    seeded = world.seed(n)
    poll_until_idle(world, store)
    world.pipeline.run_once()
    pending = drafts.pending(store)
    assert len(pending) == len(seeded)
    for draft in pending:
        drafts.approve(store, draft["draft_id"], "mia", draft["version"], world.clock.now())
    return pending


def publish_until_settled(world, rounds: int = 12) -> None:
    """Publishing runs as often as the daemon runs it: every 5 s, well inside X's
    30-second search lag, so a confirmation by search alone would come too late; a
    failed attempt is retried after its back-off (15 to 45 s for the first)."""
    for _ in range(rounds):
        world.pipeline.publish_batch()
        world.clock.advance(5)


def test_each_approved_reply_is_posted_once_when_an_answer_is_lost(world, store):
    pending = approve_all(world, store, 3)
    world.lose_next_post_answer()  # the first reply goes out, its answer is a 5xx
    publish_until_settled(world)
    for draft in pending:
        row = drafts.get(store, draft["draft_id"])
        assert row["draft_status"] == "posted", row["error"]
        assert world.replies_to(draft["platform_id"]) == [row["posted_id"]]


def test_a_crash_after_the_post_never_posts_twice(world, store):
    (draft,) = approve_all(world, store, 1)
    # The crash: attempt counted, reply made on the platform, the process died.
    publishing.mark_posting(store, draft["draft_id"], world.clock.now())
    from core.reply import ReplyRequest

    row = drafts.get(store, draft["draft_id"])
    world.pipeline.publishers[world.name].publish(ReplyRequest(
        draft["draft_id"], row["platform"], row["platform_id"], row["platform_id"],
        row["draft_text"]))
    world.clock.advance(world.pipeline.settings.pipeline.publish_lease_seconds)  # dead's lease
    publish_until_settled(world)
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "posted"
    assert world.replies_to(draft["platform_id"]) == [row["posted_id"]]


def test_a_post_deleted_before_the_reply_is_refused_and_redacted(world, store):
    (draft,) = approve_all(world, store, 1)
    world.delete(draft["platform_id"])
    publish_until_settled(world)
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "refused" and world.replies_to(draft["platform_id"]) == []
    (mention,) = store.query("SELECT text, raw, redacted_at FROM mentions")
    assert mention["text"] == "" and mention["raw"] == "{}" and mention["redacted_at"]


def test_an_unanswered_mention_deleted_on_the_platform_is_redacted(world, store):
    seeded = sorted(world.seed(3))
    poll_until_idle(world, store)
    world.pipeline.run_once()  # drafted, waiting for an agent
    world.delete(seeded[0])
    assert world.pipeline.sweep_gone() == 1
    rows = {r["platform_id"]: r for r in store.query(
        "SELECT m.platform_id, m.text, m.status, m.redacted_at, d.status AS draft"
        " FROM mentions m JOIN drafts d ON d.mention_id = m.id")}
    assert rows[seeded[0]]["text"] == "" and rows[seeded[0]]["redacted_at"]
    assert rows[seeded[0]]["draft"] == "refused" and rows[seeded[0]]["status"] == "no_action"
    assert all(rows[i]["text"] and rows[i]["draft"] == "pending" for i in seeded[1:])
    assert world.pipeline.sweep_gone() == 0  # checked once, redacted once
