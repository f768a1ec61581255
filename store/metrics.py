"""The rollup tables' write side: dirty hours, the facts of an hour, and replacing
an hour's rollup rows (and the days they sum into) in the caller's transaction.

Triggers (migration m008) mark the hour of every mention whose row, triage or draft
changes; the refresh rebuilds exactly those hours, never a fixed window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from store.db import Store

DAY_KEY = ("brand", "platform", "topic")  # days are not split by language
DAILY_TOP_AUTHORS = 10


def dirty_hours(store: Store, limit: int) -> list[str]:
    """The oldest hours waiting for a rebuild ("YYYY-MM-DDTHH", UTC)."""
    rows = store.query("SELECT hour FROM rollup_dirty ORDER BY hour LIMIT ?", [limit])
    return [r["hour"] for r in rows]


def pending_count(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM rollup_dirty")[0]["n"]


def mark_since(db: Database, since: datetime) -> None:
    """Mark hours with mentions created since ``since``: an unanswered mention becomes
    an SLA breach by time passing alone, which no trigger sees."""
    db.execute("INSERT OR IGNORE INTO rollup_dirty SELECT DISTINCT substr(created_at, 1, 13)"
               " FROM mentions WHERE created_at >= ?", [to_iso(since)])


def _span(hour: str) -> list[str]:
    return [hour, hour + "\uffff"]  # every created_at inside the hour, as text


def mention_facts(db: Database, hour: str, now: datetime) -> list[dict[str, Any]]:
    """One row per mention created in ``hour``, in the shape of metrics.rollup.MentionFact."""
    return list(db.query(
        "SELECT substr(m.created_at, 1, 13) AS hour, m.brand, m.platform,"
        " coalesce(t.topic, '') AS topic, m.lang, t.label,"
        " coalesce(t.complaint, 0) AS complaint,"
        " (coalesce(t.needs_reply, 0) AND m.status != 'no_action') AS needs_reply,"
        " a.handle, a.followers,"
        " round((julianday(m.replied_at) - julianday(m.created_at)) * 86400) AS waited_s,"
        " round((julianday(:now) - julianday(m.created_at)) * 86400) AS age_s"
        " FROM mentions m JOIN authors a ON a.id = m.author_id"
        " LEFT JOIN triage t ON t.mention_id = m.id"
        " WHERE m.created_at >= :since AND m.created_at < :until",
        {"now": to_iso(now), "since": _span(hour)[0], "until": _span(hour)[1]},
    ))


def draft_facts(db: Database, hour: str) -> list[dict[str, Any]]:
    """One row per draft of a mention created in ``hour`` (metrics.rollup.DraftFact)."""
    return list(db.query(
        "SELECT substr(m.created_at, 1, 13) AS hour, m.brand, m.platform,"
        " coalesce(t.topic, '') AS topic, m.lang, d.status,"
        " EXISTS (SELECT 1 FROM audit au WHERE au.draft_id = d.id AND au.action = 'edited')"
        "  AS edited,"
        " round((julianday(d.approved_at) - julianday(d.created_at)) * 86400) AS approval_s"
        " FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " LEFT JOIN triage t ON t.mention_id = m.id"
        " WHERE m.created_at >= ? AND m.created_at < ?",
        _span(hour),
    ))


def _insert(db: Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        db.execute(f"INSERT INTO {table} ({', '.join(row)})"
                   f" VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def replace_hours(db: Database, hours: list[str], rows: list[dict[str, Any]],
                  authors: list[dict[str, Any]]) -> None:
    """Swap the rollups of ``hours`` for ``rows``, clear their marks, and rebuild the
    days they belong to. An hour with no rows left is simply empty."""
    for hour in hours:
        for table in ("rollup_hourly", "rollup_authors", "rollup_dirty"):
            db.execute(f"DELETE FROM {table} WHERE hour = ?", [hour])
    _insert(db, "rollup_hourly", rows)
    _insert(db, "rollup_authors", authors)
    for day in sorted({h[:10] for h in hours}):
        _rebuild_day(db, day)


def _sum_columns(db: Database) -> list[str]:
    skip = {"day", *DAY_KEY}
    return [c.name for c in db["rollup_daily"].columns if c.name not in skip]


def _rebuild_day(db: Database, day: str) -> None:
    """A day is the sum of its hours; its top authors the best of its hours' top authors
    (ranking by followers decomposes: a day's top N are in some hour's top N)."""
    span = [day, day + "T99"]
    sums = _sum_columns(db)
    key = ", ".join(DAY_KEY)
    db.execute("DELETE FROM rollup_daily WHERE day = ?", [day])
    db.execute("DELETE FROM rollup_daily_authors WHERE day = ?", [day])
    db.execute(
        f"INSERT INTO rollup_daily (day, {key}, {', '.join(sums)})"
        f" SELECT ?, {key}, {', '.join(f'sum({c})' for c in sums)} FROM rollup_hourly"
        f" WHERE hour BETWEEN ? AND ? GROUP BY {key}", [day, *span])
    db.execute(
        f"INSERT INTO rollup_daily_authors (day, {key}, handle, followers, mentions)"
        f" SELECT ?, {key}, handle, followers, mentions FROM ("
        f"  SELECT {key}, handle, max(followers) AS followers, sum(mentions) AS mentions,"
        f"  row_number() OVER (PARTITION BY {key} ORDER BY max(followers) DESC, handle) AS rank"
        f"  FROM rollup_authors WHERE hour BETWEEN ? AND ? GROUP BY {key}, handle)"
        f" WHERE rank <= ?", [day, *span, DAILY_TOP_AUTHORS])
