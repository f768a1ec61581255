"""Reading the facts metrics are built from, and storing the hourly rollups."""

from __future__ import annotations

from typing import Any

from store.db import Store

_COLUMNS = ("hour", "brand", "platform", "volume", "negative", "neutral", "positive",
            "net_sentiment", "complaints", "needs_reply", "replies",
            "median_first_response_s")


def facts(store: Store, since_hour: str) -> list[dict[str, Any]]:
    """One row per mention created in or after ``since_hour`` ("YYYY-MM-DDTHH")."""
    return store.query(
        "SELECT substr(m.created_at, 1, 13) AS hour, m.brand, m.platform, t.label,"
        " coalesce(t.complaint, 0) AS complaint, coalesce(t.needs_reply, 0) AS needs_reply,"
        " CASE WHEN d.posted_at IS NULL THEN NULL ELSE"
        "  round((julianday(d.posted_at) - julianday(m.created_at)) * 86400) END"
        "  AS first_response_s"
        " FROM mentions m LEFT JOIN triage t ON t.mention_id = m.id"
        " LEFT JOIN drafts d ON d.mention_id = m.id AND d.status = 'posted'"
        " WHERE m.created_at >= ?",
        [since_hour],
    )


def save_hourly(store: Store, rows: list[dict[str, Any]]) -> None:
    with store.atomic() as db:
        for row in rows:
            db.execute(
                f"INSERT OR REPLACE INTO metrics_hourly ({', '.join(_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in _COLUMNS)})",
                [row[c] for c in _COLUMNS],
            )


def hourly(store: Store, *, brand: str = "", since_hour: str = "") -> list[dict[str, Any]]:
    return store.query(
        "SELECT * FROM metrics_hourly WHERE (? = '' OR brand = ?) AND hour >= ?"
        " ORDER BY hour, brand, platform",
        [brand, brand, since_hour],
    )
