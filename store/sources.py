"""Per-source state: the cursor, and whether the source is paused and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

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


# Why a source is paused, for the daemon to decide on (the reason is for people).
AUTH = "auth"  # credentials refused: a restart (the operator fixed them) clears it
RATE = "rate"  # a rate limit: it ends by itself


def pause(store: Store, name: str, until: datetime, reason: str, now: datetime,
          kind: str = "") -> None:
    with store.atomic() as db:
        db.execute(
            "UPDATE sources SET paused_until = ?, paused_reason = ?, paused_kind = ?,"
            " last_error = ?, last_error_at = ?, errors = errors + 1 WHERE name = ?",
            [to_iso(until), reason, kind, reason, to_iso(now), name],
        )


def paused_kind(store: Store, name: str) -> str:
    """AUTH, RATE or "" (not paused, or paused for another reason)."""
    rows = store.query("SELECT paused_kind FROM sources WHERE name = ? AND paused_until"
                       " IS NOT NULL", [name])
    return rows[0]["paused_kind"] if rows else ""


def record_error(store: Store, name: str, error: str, now: datetime) -> None:
    with store.atomic() as db:
        db.execute("UPDATE sources SET last_error = ?, last_error_at = ?, errors = errors + 1"
                   " WHERE name = ?", [error, to_iso(now), name])


def clear_pause(store: Store, name: str) -> None:
    with store.atomic() as db:
        resume(db, name)


def resume(db: Database, name: str) -> None:
    db.execute(
        "UPDATE sources SET paused_until = NULL, paused_reason = '', paused_kind = '',"
        " last_error = ''"
        " WHERE name = ? AND paused_until IS NOT NULL",
        [name],
    )


def save_cursor(db: Database, name: str, cursor: dict[str, Any], fetched: int, at: datetime,
                requests: int = 0) -> None:
    """Move the cursor; call in the transaction that stored the polled mentions."""
    db.execute(
        "UPDATE sources SET cursor = ?, updated_at = ?, last_success_at = ?, polls = polls + 1,"
        " fetched = fetched + ?, requests = requests + ? WHERE name = ?",
        [dumps(cursor), to_iso(at), to_iso(at), fetched, requests, name],
    )
