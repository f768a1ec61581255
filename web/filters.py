"""Reading the list filters from a query string (pure): exact values, the time range
and the author, with bad values dropped and said out loud rather than a 500.

The queue and the mentions list share it, so a dashboard link means the same on both.
``since`` and ``until`` are a half-open range on the mention's creation time, in UTC:
a date ("2026-11-20") or a date and time ("2026-11-20T10:00", offsets are converted),
``since`` included and ``until`` not (so a bucket's link is [its start, the next start)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.clock import to_iso
from web import params

RANGE = ("since", "until")
AUTHOR = "author"
MAX_CHARS = 200


def moment(text: str) -> str | None:
    """The UTC ISO text (as stored in ``created_at``) of a date or datetime, or None
    when ``text`` is neither. A date means its midnight, UTC; a time without an offset
    is UTC (web.params.moment)."""
    parsed = params.moment(text)
    return to_iso(parsed) if parsed else None


def read(params: Mapping[str, str], keys: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """``keys`` from the query (trimmed, at most MAX_CHARS each), and notes for the
    values ignored. ``since``/``until`` come back as stored text; ``author`` without
    its "@"."""
    filters = {k: (params.get(k) or "").strip()[:MAX_CHARS] for k in keys}
    notes = []
    for key in RANGE:
        if filters.get(key):
            text, filters[key] = filters[key], moment(filters[key]) or ""
            if not filters[key]:
                notes.append(f"Ignored {key}={text!r}: not a date (YYYY-MM-DD) or a UTC "
                             "date and time (YYYY-MM-DDTHH:MM).")
    if filters.get("since") and filters.get("until") and filters["since"] >= filters["until"]:
        notes.append("The range is empty: 'since' must come before 'until'.")
    if AUTHOR in filters:
        filters[AUTHOR] = filters[AUTHOR].lstrip("@")
    return filters, notes
