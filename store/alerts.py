"""Spike alerts and daily digests already made: the cool-down, delivery retries, and
"each digest once" live here, so a restart neither repeats nor loses one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import from_iso, to_iso
from store.db import Store, dumps, loads


def last_alert_at(store: Store, brand: str) -> datetime | None:
    row = store.query("SELECT max(detected_at) AS at FROM spike_alerts WHERE brand = ?",
                      [brand])[0]
    return from_iso(row["at"]) if row["at"] else None


def record_alert(store: Store, brand: str, hour: str, kinds: list[str],
                 payload: dict[str, Any], now: datetime) -> int:
    with store.atomic() as db:
        return db.execute(
            "INSERT INTO spike_alerts (brand, hour, kinds, detected_at, payload)"
            " VALUES (?, ?, ?, ?, ?)",
            [brand, hour, ",".join(kinds), to_iso(now), dumps(payload)]).lastrowid


def unsent(store: Store, max_attempts: int, limit: int = 20) -> list[dict[str, Any]]:
    rows = store.query("SELECT * FROM spike_alerts WHERE sent_at IS NULL AND attempts < ?"
                       " ORDER BY id LIMIT ?", [max_attempts, limit])
    for row in rows:
        row["payload"] = loads(row["payload"])
    return rows


def mark_sent(store: Store, alert_id: int, now: datetime) -> None:
    with store.atomic() as db:
        db.execute("UPDATE spike_alerts SET sent_at = ?, attempts = attempts + 1, error = ''"
                   " WHERE id = ?", [to_iso(now), alert_id])


def mark_failed(store: Store, alert_id: int, error: str) -> None:
    with store.atomic() as db:
        db.execute("UPDATE spike_alerts SET attempts = attempts + 1, error = ? WHERE id = ?",
                   [error, alert_id])


def digest_done(store: Store, brand: str, day: str) -> bool:
    return bool(store.query("SELECT 1 FROM digests WHERE brand = ? AND day = ?", [brand, day]))


def record_digest(store: Store, brand: str, day: str, path: str, now: datetime,
                  posted: bool, error: str = "") -> None:
    with store.atomic() as db:
        db.execute("INSERT OR REPLACE INTO digests (brand, day, written_at, path, posted_at,"
                   " error) VALUES (?, ?, ?, ?, ?, ?)",
                   [brand, day, to_iso(now), path, to_iso(now) if posted else None, error])
