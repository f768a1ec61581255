"""What the AI model did for each pending draft (table ``ai_drafts``, m010).

The model's text, when it passed the checks, is added to the draft's ``options`` as
``{"kind": "ai", "text", "model"}`` beside the template draft, never in its place; a
refused or failed attempt is kept here with its reason and counted, never offered.
Nothing here holds a transaction while the model thinks: the job reads, asks, then
writes in one short transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from store import audit
from store.db import Store, decode, dumps, loads

SYSTEM = "mentiondesk"
STATUSES = ("waiting", "offered", "refused", "failed")


def due(store: Store, now: datetime, since: datetime, limit: int,
        opted_out: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Pending drafts the model has not tried yet (or whose retry is due), of mentions
    that need a reply (not optional thank-yous) drafted since ``since``, most urgent
    first; brands in ``opted_out`` are left out."""
    brands = list(opted_out)
    marks = ",".join("?" * len(brands))
    rows = store.query(
        "SELECT d.id AS draft_id, d.mention_id, d.options, d.article_url, d.lang AS draft_lang,"
        " d.text AS draft_text, m.text, m.platform, m.brand, m.lang, m.created_at,"
        " a.handle AS author_handle, a.name AS author_name, t.label, t.topic, t.complaint,"
        " t.language, t.role, t.rules, t.reason, x.attempts"
        " FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id"
        " LEFT JOIN ai_drafts x ON x.draft_id = d.id"
        " WHERE d.status = 'pending' AND d.template NOT IN ('', 'reminder')"
        " AND t.optional = 0 AND d.created_at >= ?"
        " AND (x.draft_id IS NULL OR (x.status = 'waiting' AND x.retry_at <= ?))"
        + (f" AND m.brand NOT IN ({marks})" if brands else "")
        + " ORDER BY t.priority DESC, d.id LIMIT ?",
        [to_iso(since), to_iso(now), *brands, limit])
    out = []
    for row in rows:
        row = decode(row)
        row["attempts"] = row["attempts"] or 0
        out.append(row)
    return out


def note(store: Store, draft_id: int, status: str, now: datetime, *, reason: str = "",
         model: str = "", attempts: int = 1, retry_at: datetime | None = None,
         latency_ms: int | None = None, text: str = "") -> None:
    """Record an attempt that offered nothing: refused (``text`` kept for the log, never
    shown as a draft), failed, or waiting until ``retry_at``."""
    assert status in STATUSES and status != "offered"
    with store.atomic() as db:
        _upsert(db, draft_id, status, reason, model, attempts, retry_at, latency_ms, text, now)


def offer(store: Store, draft_id: int, text: str, model: str, now: datetime, *,
          attempts: int = 1, latency_ms: int | None = None) -> bool:
    """Add the model's checked text to the draft's options; False when the draft was
    decided meanwhile (then nothing is offered)."""
    with store.atomic() as db:
        row = db.execute("SELECT options, mention_id FROM drafts WHERE id = ?"
                         " AND status = 'pending'", [draft_id]).fetchone()
        if row is None:
            _upsert(db, draft_id, "failed", "the draft was decided before the model answered",
                    model, attempts, None, latency_ms, text, now)
            return False
        options = [o for o in loads(row[0]) or [] if o.get("kind") != "ai"]
        option = {"kind": "ai", "text": text, "model": model}
        db.execute("UPDATE drafts SET options = ? WHERE id = ?",
                   [dumps([option, *options]), draft_id])
        _upsert(db, draft_id, "offered", "", model, attempts, None, latency_ms, text, now)
        audit.record(db, now, SYSTEM, "ai_drafted", mention_id=row[1], draft_id=draft_id,
                     after=text, note=f"model {model}")
        return True


def _upsert(db: Database, draft_id: int, status: str, reason: str, model: str, attempts: int,
            retry_at: datetime | None, latency_ms: int | None, text: str,
            now: datetime) -> None:
    db.execute(
        "INSERT INTO ai_drafts (draft_id, status, reason, model, attempts, retry_at,"
        " latency_ms, text, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (draft_id) DO UPDATE SET status = excluded.status,"
        " reason = excluded.reason, model = excluded.model, attempts = excluded.attempts,"
        " retry_at = excluded.retry_at, latency_ms = excluded.latency_ms,"
        " text = excluded.text, updated_at = excluded.updated_at",
        [draft_id, status, reason, model, attempts, to_iso(retry_at) if retry_at else None,
         latency_ms, text, to_iso(now)])


def summary(store: Store) -> dict[str, Any]:
    """Counts by status and by reason, and the latencies of answered attempts (ms)."""
    by_status = {r["status"]: r["n"] for r in store.query(
        "SELECT status, COUNT(*) AS n FROM ai_drafts GROUP BY status")}
    reasons = {f"{r['status']}: {r['reason']}": r["n"] for r in store.query(
        "SELECT status, reason, COUNT(*) AS n FROM ai_drafts"
        " WHERE status IN ('refused', 'failed', 'waiting') GROUP BY status, reason"
        " ORDER BY n DESC")}
    latencies = [r["latency_ms"] for r in store.query(
        "SELECT latency_ms FROM ai_drafts WHERE latency_ms IS NOT NULL ORDER BY latency_ms")]
    return {"by_status": by_status, "reasons": reasons, "latencies_ms": latencies}
