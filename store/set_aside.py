"""Rows a stage could not process, held out of that stage with the reason.

One bad row (a mention of a brand no longer configured, a text the model chokes on)
must not stop the stage for every other row: the stage records it here and goes on.
The stage's queries skip held mentions; ``release`` (``main.py doctor --release``)
lets them be tried again once the cause is fixed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import to_iso
from store.db import Store

# A held mention is left out of the stage that set it aside (used inside queries).
NOT_HELD = ("NOT EXISTS (SELECT 1 FROM set_aside s WHERE s.mention_id = m.id"
            " AND s.stage = '{stage}' AND s.released_at IS NULL)")


def hold(store: Store, stage: str, mention_id: int | None, reason: str, now: datetime,
         source: str = "") -> None:
    """Set a row aside; holding one already held keeps the first reason."""
    with store.atomic() as db:
        db.execute(
            "INSERT OR IGNORE INTO set_aside (stage, mention_id, source, reason, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [stage, mention_id, source, reason[:1000], to_iso(now)],
        )


def held(store: Store, limit: int = 500) -> list[dict[str, Any]]:
    return store.query(
        "SELECT id, stage, mention_id, source, reason, at FROM set_aside"
        " WHERE released_at IS NULL ORDER BY id LIMIT ?", [limit])


def count(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM set_aside WHERE released_at IS NULL")[0]["n"]


def release(store: Store, now: datetime, ids: list[int] | None = None) -> int:
    """Let held rows be tried again (all of them when ``ids`` is None)."""
    with store.atomic() as db:
        if ids is None:
            cur = db.execute("UPDATE set_aside SET released_at = ? WHERE released_at IS NULL",
                             [to_iso(now)])
        else:
            cur = db.execute(
                "UPDATE set_aside SET released_at = ? WHERE released_at IS NULL AND id IN"
                f" ({', '.join('?' for _ in ids)})", [to_iso(now), *ids])
        return cur.rowcount
