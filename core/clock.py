"""Time behind an interface, so tests move time instead of sleeping."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from core.errors import ConfigError

# Whole-process runs on another date (CI runs part of the suite years ahead, so no test
# may lean on today; a demo may be replayed "next month"): the system clock plus this
# many days, for every command main.py runs. Never set it on a live desk.
OFFSET_ENV = "MENTIONDESK_CLOCK_OFFSET_DAYS"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """The system clock moved by a fixed number of days (``OFFSET_ENV``)."""

    def __init__(self, days: float) -> None:
        self.offset = timedelta(days=days)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def process_clock(env: Mapping[str, str]) -> Clock:
    """The clock of a command: the system's, moved by ``OFFSET_ENV`` days when set."""
    text = env.get(OFFSET_ENV, "").strip()
    if not text:
        return SystemClock()
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or abs(days) > 36_500:
        raise ConfigError(f"environment {OFFSET_ENV}", "-",
                          f"a number of days within ±36500 (got {text[:30]!r})")
    return OffsetClock(days)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now


def to_iso(moment: datetime) -> str:
    """UTC ISO-8601 text, sortable as a string in SQLite. A naive datetime is taken as
    UTC, as ``from_iso`` reads one (never as the server's local time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
