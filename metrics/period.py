"""Date ranges for the dashboard and the report: the buckets of a range, its grain,
and the previous period of the same length (pure; UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

HOURLY_UP_TO_DAYS = 2  # ranges this short are charted per hour, longer ones per day
MAX_DAYS = 366  # longer requests keep their last year (a chart of decades helps nobody)
# The days a range may name: a period's previous period and the day after its end must
# exist (datetime stops at 9999-12-31), and no mention predates 1970.
EARLIEST = date(1970, 1, 1)
LATEST = date(9999, 12, 30)


@dataclass(frozen=True)
class Period:
    """Whole UTC days ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def grain(self) -> str:
        return "hour" if self.days <= HOURLY_UP_TO_DAYS else "day"

    def bounds(self, grain: str | None = None) -> tuple[str, str]:
        """[since, until) as bucket text of ``grain`` (default: the period's own)."""
        grain = grain or self.grain
        after = self.end + timedelta(days=1)
        if grain == "hour":
            return f"{self.start.isoformat()}T00", f"{after.isoformat()}T00"
        return self.start.isoformat(), after.isoformat()

    def buckets(self) -> list[str]:
        """Every bucket in the range, those without data included."""
        if self.grain == "day":
            return [(self.start + timedelta(days=i)).isoformat() for i in range(self.days)]
        first = datetime.combine(self.start, datetime.min.time(), UTC)
        return [(first + timedelta(hours=i)).strftime("%Y-%m-%dT%H")
                for i in range(24 * self.days)]

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def day(text: str) -> date:
    """A day "YYYY-MM-DD" between EARLIEST and LATEST; ValueError saying so otherwise."""
    try:
        found = date.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or not EARLIEST <= found <= LATEST:
        raise ValueError(f"not a day (YYYY-MM-DD, {EARLIEST} to {LATEST}): {text!r}")
    return found


def exact(since: date | None, until: date | None, today: date, default_days: int = 7
          ) -> Period:
    """The period a person asked for (``main.py report``): missing ends default as in
    ``parse``, but reversed ends are a ValueError and a long range is kept whole (an
    export of two years must hold two years, not the last one)."""
    end = until or today
    start = since or end - timedelta(days=default_days - 1)
    if start > end:
        raise ValueError(f"--since {start} is after --until {end}")
    return Period(start, end)


def parse(since: str | None, until: str | None, today: date, default_days: int = 7) -> Period:
    """A period from "YYYY-MM-DD" texts for pages that must always draw something (the
    dashboard): missing or bad ends fall back to the last ``default_days`` days up to
    ``today``; reversed ends are swapped; at most MAX_DAYS. A day outside
    [EARLIEST, LATEST] is a bad end."""

    def lenient(text: str | None) -> date | None:
        try:
            return day(text) if text else None
        except ValueError:
            return None

    end = lenient(until) or today
    start = lenient(since) or end - timedelta(days=default_days - 1)
    start, end = min(start, end), max(start, end)
    return Period(max(start, end - timedelta(days=MAX_DAYS - 1)), end)
