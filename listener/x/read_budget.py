"""The read-budget governor: make a monthly budget last the whole period.

The budget is counted in units (``Budget``): posts read, for the legacy tiers' monthly
read caps, or money in units of $0.001, for X's pay-per-use pricing (since 2026-02),
where each endpoint has its price (a post read by search $0.005; an owned read, such as
the brand's own mentions timeline, $0.001).

X's paid tiers cap the posts an app may read per period. With ``since_id`` every
post is read once whatever the interval, so pacing means two things: a poll may read
only the budget that accrued over the time it covers (``allowance``), and when the
observed volume runs above what the budget sustains, polls are spaced so each one
reads a small page (``MIN_PAGE``) of the newest posts: frequent small samples keep the
desk's response time short, where rare full pages would leave hours between polls.
When a poll cannot read everything, the newest posts win and the older ones of that
window are skipped (the source says so in a note).

Pure functions over a small JSON-able state kept inside the source's cursor, so it is
stored in the same transaction as the mentions it paid for:
``{"period_start": "2026-11-01", "used": 1234, "rate": 0.012,
"last_poll_at": "...", "next_poll_at": "..."}`` (rate in posts per second).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import from_iso, to_iso

MIN_PAGE = 10  # the smallest max_results X accepts for search
MILLI_USD = 0.001  # one budget unit under pay-per-use


@dataclass(frozen=True)
class Budget:
    """What the governor counts for one source, and what each read costs in it."""

    cap: int  # units per period
    reset_day: int
    post_read: int = 1  # units per post read by search
    owned_read: int = 1  # units per post read from the brand's own timelines
    money: bool = False  # units are $0.001 (pay-per-use), else posts

    @classmethod
    def of(cls, settings: Any) -> Budget | None:
        """From an X source's settings; None when it has no cap (no governor)."""
        if settings.monthly_spend_cap_usd:
            return cls(cap=round(settings.monthly_spend_cap_usd / MILLI_USD),
                       reset_day=settings.read_cap_reset_day,
                       post_read=max(1, round(settings.post_read_price_usd / MILLI_USD)),
                       owned_read=max(1, round(settings.owned_read_price_usd / MILLI_USD)),
                       money=True)
        if settings.monthly_read_cap:
            return cls(cap=settings.monthly_read_cap, reset_day=settings.read_cap_reset_day)
        return None

    def price(self, owned: bool) -> int:
        return self.owned_read if owned else self.post_read

BURST = 3.0  # below pace, a poll may read this many times its fair share
RATE_HALF_LIFE = timedelta(hours=12).total_seconds()


@dataclass(frozen=True)
class Plan:
    poll_now: bool
    allowance: int  # posts this poll may read (0 when not polling)
    next_poll_at: datetime | None  # when not polling now: the earliest next try
    reason: str = ""


@dataclass(frozen=True)
class Summary:
    cap: int
    used: int
    left: int
    projected: int  # reads expected by period end under pacing (at most the cap)
    demand: int  # reads the observed volume would take by period end, uncapped
    period_start: datetime
    period_end: datetime
    next_poll_at: datetime | None
    sampling: bool  # True when demand exceeds the cap: newest posts win
    money: bool = False  # the figures are $0.001 units of spend

    def _fmt(self, units: int) -> str:
        return f"${units * MILLI_USD:,.2f}" if self.money else str(units)

    def line(self) -> str:
        what = "spend" if self.money else "read budget"
        text = (f"{what} {self._fmt(self.used)}/{self._fmt(self.cap)} used, "
                f"{self._fmt(self.left)} left, projected {self._fmt(self.projected)} by "
                f"{self.period_end:%Y-%m-%d}")
        return text + (f" (volume would need {self._fmt(self.demand)}: sampling newest)"
                       if self.sampling else "")


def period_bounds(now: datetime, reset_day: int = 1) -> tuple[datetime, datetime]:
    """The cap period holding ``now``: from ``reset_day`` 00:00 UTC to the next one."""
    now = now.astimezone(UTC)
    start = datetime(now.year, now.month, reset_day, tzinfo=UTC)
    if now < start:
        start = _add_month(start, -1)
    return start, _add_month(start, 1)


def _add_month(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def current(state: dict[str, Any] | None, now: datetime, reset_day: int = 1) -> dict[str, Any]:
    """``state`` rolled into the period holding ``now`` (a new period starts at 0 used)."""
    start, _ = period_bounds(now, reset_day)
    state = dict(state or {})
    if state.get("period_start") != start.date().isoformat():
        state.update(period_start=start.date().isoformat(), used=0, next_poll_at=None)
    return state


def _sustainable(left: int, now: datetime, end: datetime) -> float:
    """Posts per second the remaining budget allows until the period ends."""
    return left / max((end - now).total_seconds(), 1.0)


def plan(state: dict[str, Any] | None, cap: int, now: datetime, *, interval: float,
         covered_seconds: float, reset_day: int = 1) -> Plan:
    """Whether to poll now and how many posts the poll may read.

    ``covered_seconds`` is the time the poll would cover (since the last poll, or the
    backfill window on the first).
    """
    state = current(state, now, reset_day)
    _, end = period_bounds(now, reset_day)
    next_at = from_iso(state["next_poll_at"]) if state.get("next_poll_at") else None
    if next_at and now < next_at:
        return Plan(False, 0, next_at, "paced")
    left = cap - int(state.get("used", 0))
    if left < MIN_PAGE:
        return Plan(False, 0, end, "budget spent for this period")
    sustainable = _sustainable(left, now, end)
    rate = state.get("rate")
    burst = BURST if rate is None or rate <= sustainable else 1.0
    allowance = math.floor(sustainable * max(covered_seconds, interval) * burst)
    allowance = min(left, max(MIN_PAGE, allowance))
    return Plan(True, allowance, None)


def record(state: dict[str, Any] | None, cap: int, now: datetime, *, read: int,
           covered_seconds: float, interval: float, reset_day: int = 1) -> dict[str, Any]:
    """The state after a poll that read ``read`` posts covering ``covered_seconds``.

    ``covered_seconds`` is the time span the read posts stand for: since the last
    poll when everything was read, or the span of the posts read when the poll was
    cut short by its allowance (so the rate estimate sees the true volume).
    """
    state = current(state, now, reset_day)
    _, end = period_bounds(now, reset_day)
    state["used"] = int(state.get("used", 0)) + read
    covered = max(covered_seconds, 1.0)
    sample = read / covered
    old = state.get("rate")
    if old is None:
        rate = sample
    else:
        weight = 1 - 0.5 ** (covered / RATE_HALF_LIFE)
        rate = old + weight * (sample - old)
    state["rate"] = rate
    state["last_poll_at"] = to_iso(now)
    left = cap - state["used"]
    if left < MIN_PAGE:
        state["next_poll_at"] = to_iso(end)
        return state
    sustainable = _sustainable(left, now, end)
    wait = float(interval)
    if rate > sustainable:
        # Over pace: wait until the budget accrues a small page of the newest posts.
        wait = max(wait, min(MIN_PAGE / sustainable, (end - now).total_seconds()))
    state["next_poll_at"] = to_iso(now + timedelta(seconds=wait))
    return state


def summary(cursor: dict[str, Any] | None, cap: int, now: datetime,
            reset_day: int = 1, money: bool = False) -> Summary:
    """Used, left and projected reads for ``main.py report`` (cursor: the source's)."""
    state = current((cursor or {}).get("budget"), now, reset_day)
    start, end = period_bounds(now, reset_day)
    used = int(state.get("used", 0))
    rate = float(state.get("rate") or 0.0)
    demand = used + round(rate * max((end - now).total_seconds(), 0.0))
    next_at = from_iso(state["next_poll_at"]) if state.get("next_poll_at") else None
    return Summary(cap=cap, used=used, left=max(cap - used, 0),
                   projected=min(cap, demand), demand=demand, period_start=start,
                   period_end=end, next_poll_at=next_at, sampling=demand > cap, money=money)
