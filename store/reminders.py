"""Reminders: our posted replies the customer has not answered, brought back to the queue
once as a pending reminder draft, and closed when the customer writes back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import to_iso
from store import audit
from store.db import Store, dumps
from store.drafts import ANSWERED, REMINDER, SYSTEM


def unanswered(store: Store, posted_before: datetime, *, posted_after: datetime | None = None,
               unreminded: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    """Our replies posted before ``posted_before`` (and after ``posted_after``) that the
    customer has not answered (no later mention of theirs in the conversation):
    candidates for a reminder; ``unreminded`` leaves out those already reminded, so a
    backlog of reminded replies never hides newer ones behind ``limit``."""
    reminded = (" AND NOT EXISTS (SELECT 1 FROM audit r WHERE r.draft_id = d.id"
                " AND r.action = ?)") if unreminded else ""
    return store.query(
        "SELECT d.id AS draft_id, d.text AS reply, d.posted_at, d.posted_url, m.id AS"
        " mention_id, m.text, m.url, m.brand, m.platform, a.handle FROM drafts d"
        " JOIN mentions m ON m.id = d.mention_id JOIN authors a ON a.id = m.author_id"
        " WHERE d.status = 'posted' AND d.posted_at < ? AND d.posted_at > ? AND NOT EXISTS"
        " (SELECT 1 FROM mentions n WHERE n.author_id = m.author_id AND n.created_at >"
        " d.posted_at AND (n.conversation_id = m.conversation_id OR n.in_reply_to_id ="
        f" d.posted_id)){reminded} ORDER BY d.posted_at LIMIT ?",
        [to_iso(posted_before), to_iso(posted_after) if posted_after else "",
         *([REMINDER] if unreminded else []), limit])


def remind(store: Store, posted_draft_id: int, text: str, note: str, now: datetime
           ) -> int | None:
    """Bring a posted reply's conversation back to the queue as a pending reminder draft
    on the same mention; None when this reply was already reminded (once per reply, the
    audit row is the mark) or is not posted."""
    with store.atomic() as db:
        row = db.execute("SELECT mention_id FROM drafts WHERE id = ? AND status = 'posted'",
                         [posted_draft_id]).fetchone()
        if row is None or db.execute(
                "SELECT 1 FROM audit WHERE action = ? AND draft_id = ?",
                [REMINDER, posted_draft_id]).fetchone():
            return None
        draft_id = db.execute(
            "INSERT INTO drafts (mention_id, text, first_text, template, notes, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [row[0], text, text, REMINDER, dumps([note]), to_iso(now), to_iso(now)],
        ).lastrowid
        audit.record(db, now, SYSTEM, REMINDER, mention_id=row[0], draft_id=posted_draft_id,
                     after=f"draft {draft_id}: {text}", note=note)
        return draft_id


def close_answered_reminders(store: Store, now: datetime) -> int:
    """Reminders whose customer has written back since our reply leave the queue (the
    answer is in the queue itself); returns how many."""
    with store.atomic() as db:
        rows = db.execute(
            "SELECT r.id, r.mention_id, r.text FROM drafts r JOIN drafts d ON d.mention_id ="
            " r.mention_id AND d.status = 'posted' JOIN mentions m ON m.id = r.mention_id"
            " WHERE r.template = ? AND r.status = 'pending' AND EXISTS (SELECT 1 FROM"
            " mentions n WHERE n.author_id = m.author_id AND n.created_at > d.posted_at AND"
            " (n.conversation_id = m.conversation_id OR n.in_reply_to_id = d.posted_id))",
            [REMINDER]).fetchall()
        for draft_id, mention_id, text in rows:
            db.execute("UPDATE drafts SET status = 'rejected', note = ?, updated_at = ?"
                       " WHERE id = ?", [ANSWERED, to_iso(now), draft_id])
            audit.record(db, now, SYSTEM, "rejected", mention_id=mention_id,
                         draft_id=draft_id, before=text, note=ANSWERED)
        return len(rows)

