"""The read-budget governor over a simulated month (pure; the clock is a variable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from listener.x import read_budget as rb

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)


def simulate(cap: int, per_hour: float, interval: float = 60):
    """Posts arrive at ``per_hour``; poll like the source does. Returns stats."""
    state, now, last, backlog = None, START, None, 0.0
    polls = reads = skipped = 0
    last_poll = START
    while now < END:
        covered = (now - last).total_seconds() if last else 3600.0
        plan = rb.plan(state, cap, now, interval=interval, covered_seconds=covered)
        if plan.poll_now:
            backlog += per_hour * covered / 3600 if last else per_hour
            read = min(int(backlog), plan.allowance)
            truncated = read < int(backlog)
            skipped += int(backlog) - read
            backlog -= int(backlog)
            span = read / per_hour * 3600 if truncated else covered
            state = rb.record(state, cap, now, read=read, covered_seconds=span,
                              interval=interval)
            polls += 1
            reads += read
            last = last_poll = now
        step = interval if plan.poll_now else max(
            interval, (plan.next_poll_at - now).total_seconds())
        now += timedelta(seconds=step)
    return {"polls": polls, "reads": reads, "skipped": skipped, "state": state,
            "last_poll": last_poll}


def test_low_volume_reads_everything_at_the_configured_interval():
    stats = simulate(cap=10_000, per_hour=5, interval=300)  # ~3,600 a month: under the cap
    assert stats["skipped"] == 0
    assert stats["polls"] == 30 * 24 * 12  # every 5 minutes, never held back
    assert stats["reads"] <= 10_000


def test_high_volume_is_paced_to_last_the_month():
    stats = simulate(cap=10_000, per_hour=50)  # ~36,000 a month: 3.6x the cap
    assert stats["reads"] <= 10_000
    assert stats["reads"] >= 9_000  # the budget is spent, not hoarded
    assert stats["last_poll"] >= END - timedelta(days=1)  # still listening at month end
    # Spaced out to small pages of the newest posts: about one poll an hour, not 43,200.
    assert 500 < stats["polls"] < 1_500
    assert stats["skipped"] > 0


def test_spent_budget_waits_for_the_next_period():
    now = datetime(2026, 11, 20, tzinfo=UTC)
    state = {"period_start": "2026-11-01", "used": 1_495, "rate": 0.1}
    plan = rb.plan(state, 1_500, now, interval=60, covered_seconds=60)
    assert not plan.poll_now and plan.next_poll_at == END
    fresh = rb.plan(state, 1_500, END + timedelta(minutes=1), interval=60, covered_seconds=60)
    assert fresh.poll_now and fresh.allowance >= rb.MIN_PAGE


def test_reset_day_and_summary():
    start, end = rb.period_bounds(datetime(2026, 11, 3, tzinfo=UTC), reset_day=15)
    assert (start, end) == (datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))
    now = datetime(2026, 11, 16, tzinfo=UTC)  # half way through November
    state = rb.record(None, 10_000, now, read=6_000, covered_seconds=15 * 86400,
                      interval=60)
    summary = rb.summary({"since_id": "1", "budget": state}, 10_000, now)
    assert (summary.used, summary.left) == (6_000, 4_000)
    assert summary.demand == 12_000 and summary.projected == 10_000 and summary.sampling
    assert "6000/10000" in summary.line()
    empty = rb.summary(None, 10_000, now)
    assert (empty.used, empty.left, empty.projected) == (0, 10_000, 0)
