"""Reading what a request carries (path ids, query values, form fields), in one place, so
hostile input gets a 400 or is ignored with a message, never a 500 (pure; the guard in
web/context.py answers ``BadParam`` with 400).

Everything a browser sends is text of any length and any script: ``²`` passes
``str.isdigit`` yet is no number; a 23-digit id is a Python int SQLite cannot bind;
``9999-12-31`` is a date whose next day does not exist; ``0001-01-01T00:00+14:00`` is
a time UTC cannot hold. Each reader here answers a value the rest of the code can
use, or None (or the default) for the caller to ignore and say so, or raises
``BadParam`` (the guard answers 400) where nothing sensible can be done.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.clock import to_iso
from metrics.period import EARLIEST, LATEST

MAX_ID = 2**63 - 1  # SQLite's INTEGER: a larger id cannot exist, and cannot be bound
MAX_TEXT = 20_000
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() also reads "١٢" and "1_000"
_INTEGER = re.compile(r"-?[0-9]{1,19}")


class BadParam(ValueError):
    """A request value nothing sensible can be made of: answered 400 with this text."""


def ident(value: Any) -> int | None:
    """A database id (1 to 2^63-1) from ASCII digits, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def path_ids(path_params: Mapping[str, Any]) -> None:
    """Raises BadParam when an ``{..._id:int}`` of the path is no possible id (Starlette
    converts any run of digits, 2^64 included)."""
    for name, value in path_params.items():
        if name.endswith("_id") and ident(value) is None:
            raise BadParam(f"{name.replace('_', ' ')} {str(value)[:30]!r} is not an id")


def integer(value: Any, default: int = -1) -> int:
    """A signed integer (a version, a page, an id field) from ASCII digits with an
    optional minus, never larger than SQLite can bind; else ``default``."""
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        number = int(value)
        if -MAX_ID <= number <= MAX_ID:
            return number
    return default


def text(form: Any, name: str, limit: int = MAX_TEXT) -> str:
    """A form field as trimmed text with Unix newlines, at most ``limit`` characters;
    '' when missing (or a file)."""
    value = form.get(name, "") if form is not None else ""
    return (value if isinstance(value, str) else "").replace("\r\n", "\n").strip()[:limit]


def day(value: str | None) -> date | None:
    """A calendar day "YYYY-MM-DD" within [EARLIEST, LATEST] (so the day after it and a
    year before it exist), else None."""
    if not value or len(value) != 10:
        return None
    try:
        found = date.fromisoformat(value)
    except ValueError:
        return None
    return found if EARLIEST <= found <= LATEST else None


def day_start(value: str | None, days: int = 0) -> str:
    """The UTC ISO start of a day box's day (+ ``days``), as stored; '' when no day."""
    found = day((value or "")[:10])
    if found is None:
        return ""
    return to_iso(datetime.combine(found, datetime.min.time(), UTC) + timedelta(days=days))


def moment(value: str | None) -> datetime | None:
    """An aware UTC time from a date ("2026-11-20": its midnight) or an ISO date and
    time (no offset: UTC), within the days ``day`` accepts; else None."""
    if not value or len(value) > 40:
        return None
    try:
        if len(value) == 10:
            found = day(value)
            return datetime.combine(found, datetime.min.time(), UTC) if found else None
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # not a time, or one UTC cannot hold
        return None
    return parsed if EARLIEST <= parsed.date() <= LATEST else None
