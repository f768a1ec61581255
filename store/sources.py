"""Per-source state: the cursor, and whether the source is paused and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import from_iso, to_iso
from store.db import Store, dumps, loads


def get_cursor(store: Store, name: str) -> dict[str, Any] | None:
    rows = store.query("SELECT cursor FROM sources WHERE name = ?", [name])
    return loads(rows[0]["cursor"]) if rows else None


def ensure(store: Store, name: str, platform: str) -> None:
    with store.atomic() as db:
        db.execute(
            "INSERT OR IGNORE INTO sources (name, platform) VALUES (?, ?)", [name, platform]
        )


def paused_until(store: Store, name: str) -> tuple[datetime | None, str]:
    rows = store.query("SELECT paused_until, paused_reason FROM sources WHERE name = ?", [name])
    if not rows or not rows[0]["paused_until"]:
        return None, ""
    return from_iso(rows[0]["paused_until"]), rows[0]["paused_reason"]


def pause(store: Store, name: str, until: datetime, reason: str) -> None:
    with store.atomic() as db:
        db.execute(
            "UPDATE sources SET paused_until = ?, paused_reason = ?, last_error = ?"
            " WHERE name = ?",
            [to_iso(until), reason, reason, name],
        )


def record_error(store: Store, name: str, error: str) -> None:
    with store.atomic() as db:
        db.execute("UPDATE sources SET last_error = ? WHERE name = ?", [error, name])


def clear_pause(store: Store, name: str) -> None:
    with store.atomic() as db:
        resume(db, name)


def resume(db, name: str) -> None:
    db.execute(
        "UPDATE sources SET paused_until = NULL, paused_reason = '', last_error = ''"
        " WHERE name = ? AND paused_until IS NOT NULL",
        [name],
    )


def save_cursor(db, name: str, cursor: dict[str, Any], fetched: int, at: datetime) -> None:
    """Move the cursor; call in the transaction that stored the polled mentions."""
    db.execute(
        "UPDATE sources SET cursor = ?, updated_at = ?, polls = polls + 1,"
        " fetched = fetched + ? WHERE name = ?",
        [dumps(cursor), to_iso(at), fetched, name],
    )


def all_sources(store: Store) -> list[dict[str, Any]]:
    rows = store.query("SELECT * FROM sources ORDER BY name")
    for row in rows:
        row["cursor"] = loads(row["cursor"])
    return rows
