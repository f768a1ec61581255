"""What an operator asks of the database: is it writable and intact, how deep are the
queues, how is each source doing. Read by ``main.py doctor``, the health page and
``/metrics``; retention and backups live here too."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from core.clock import to_iso
from core.errors import StoreError
from store import set_aside
from store.db import Store


def writable(store: Store) -> bool:
    """Whether this process can take the write lock now (disk full, read-only mount and
    a writer stuck elsewhere all say no)."""
    try:
        with store.atomic() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS _probe (x)")
    except (StoreError, sqlite3.Error):
        return False
    return True


def integrity(store: Store) -> str:
    """``ok``, or SQLite's first complaint."""
    rows = store.query("PRAGMA quick_check")
    return str(next(iter(rows[0].values()))) if rows else "no answer"


def queue_depths(store: Store) -> dict[str, int]:
    """Rows waiting at each stage."""
    row = store.query(
        "SELECT (SELECT count(*) FROM mentions WHERE status = 'new') AS untriaged,"
        " (SELECT count(*) FROM mentions WHERE status = 'needs_reply') AS undrafted,"
        " (SELECT count(*) FROM drafts WHERE status = 'pending') AS awaiting_approval,"
        " (SELECT count(*) FROM drafts WHERE status IN ('approved', 'posting')) AS to_publish,"
        " (SELECT count(*) FROM drafts WHERE status IN ('failed', 'refused')) AS needs_hand"
    )[0]
    return dict(row)


def stale_approvals(store: Store, approved_before: datetime) -> dict[str, Any]:
    """Replies approved before ``approved_before`` and still not picked up by a publish
    run: {"count": n, "oldest": approved_at or None}. Many means no daemon is running."""
    return dict(store.query(
        "SELECT count(*) AS count, min(approved_at) AS oldest FROM drafts"
        " WHERE status = 'approved' AND approved_at < ?", [to_iso(approved_before)])[0])


def awaiting_first_reply(store: Store, breached_before: datetime, risk_before: datetime
                         ) -> dict[str, int]:
    """Mentions still owed a reply, created before ``risk_before``: {"breached": created
    before ``breached_before`` (past the SLA), "at_risk": the others}."""
    row = store.query(
        "SELECT coalesce(sum(created_at < ?), 0) AS breached,"
        " coalesce(sum(created_at >= ?), 0) AS at_risk FROM mentions"
        " WHERE status IN ('needs_reply', 'drafted') AND created_at < ?",
        [to_iso(breached_before), to_iso(breached_before), to_iso(risk_before)])[0]
    return dict(row)


def mentions_by_source(store: Store) -> dict[str, int]:
    """Mentions stored per source, ever."""
    return {r["source"]: r["n"] for r in store.query(
        "SELECT source, count(*) AS n FROM mentions GROUP BY source")}


def drafts_by_state(store: Store) -> dict[str, int]:
    rows = store.query("SELECT status, count(*) AS n FROM drafts GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


def source_health(store: Store) -> list[dict[str, Any]]:
    """Per source: last success, last error, paused until, and what it has spent."""
    return store.query(
        "SELECT name, platform, last_success_at, last_error, last_error_at, paused_until,"
        " paused_reason, publish_paused_until, polls, fetched, requests, errors"
        " FROM sources ORDER BY name")


def status(store: Store) -> dict[str, Any]:
    """Everything the detail page and ``doctor`` show, in one read."""
    return {
        "writable": writable(store),
        "sources": source_health(store),
        "queues": queue_depths(store),
        "drafts": drafts_by_state(store),
        "set_aside": set_aside.held(store, limit=100),
        "set_aside_count": set_aside.count(store),
    }


def purge_raw(store: Store, older_than_days: int, now: datetime, batch: int = 2000) -> int:
    """Drop the raw platform payloads of mentions fetched more than N days ago.

    The mention, its triage, drafts, audit and the hourly rollups stay: only the copy
    of what the API said goes. In batches, so the daemon's writers never wait long.
    """
    cutoff = to_iso(now - timedelta(days=older_than_days))
    purged = 0
    while True:
        with store.atomic() as db:
            n = db.execute(
                "UPDATE mentions SET raw = '{}', raw_purged_at = ? WHERE id IN"
                " (SELECT id FROM mentions WHERE fetched_at < ? AND raw_purged_at IS NULL"
                " LIMIT ?)", [to_iso(now), cutoff, batch]).rowcount
        purged += n
        if n < batch:
            return purged


def backup(store: Store, target: Path) -> int:
    """A consistent copy through SQLite's online backup API, while the daemon writes.
    Returns the copy's page count."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise StoreError(f"{target} exists; back up to a new file")
    try:
        dest = sqlite3.connect(target)
        try:
            with store.reading() as db:
                db.conn.backup(dest, pages=1024)
            pages = dest.execute("PRAGMA page_count").fetchone()[0]
        finally:
            dest.close()
    except sqlite3.Error as exc:
        raise StoreError(f"backup to {target} failed: {exc}") from exc
    return pages
