"""Mentions, their authors and their triage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from core.mention import Mention
from store import audit, sources
from store.db import Store, decode, dumps
from store.set_aside import NOT_HELD


def save_poll(
    store: Store,
    source: str,
    brand: str,
    mentions: list[Mention],
    cursor: dict[str, Any],
    now: datetime,
    requests: int = 0,
) -> int:
    """Store a poll's mentions and move the source's cursor, in one transaction.

    A mention already stored (same platform and id) is skipped, so a poll repeated
    after a crash stores nothing twice. Returns how many mentions were new.
    """
    new = 0
    with store.atomic() as db:
        for mention in mentions:
            author_id = _upsert_author(db, mention, now)
            cur = db.execute(
                "INSERT OR IGNORE INTO mentions (platform, platform_id, source, brand,"
                " author_id, text, url, lang, conversation_id, in_reply_to_id, engagement,"
                " raw, api_replyable, created_at, fetched_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    mention.platform, mention.platform_id, source, brand, author_id,
                    mention.text, mention.url, mention.lang, mention.conversation_id,
                    mention.in_reply_to_id, dumps(mention.engagement), dumps(mention.raw),
                    int(mention.api_replyable), to_iso(mention.created_at), to_iso(now),
                ],
            )
            new += cur.rowcount
        sources.save_cursor(db, source, cursor, new, now, requests)
        sources.resume(db, source)
    return new


def _upsert_author(db: Database, mention: Mention, now: datetime) -> int:
    a = mention.author
    db.execute(
        "INSERT INTO authors (platform, platform_user_id, handle, name, followers, verified,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (platform, platform_user_id) DO UPDATE SET handle = excluded.handle,"
        " name = excluded.name,"
        " followers = CASE WHEN ? THEN excluded.followers ELSE authors.followers END,"
        " verified = excluded.verified, updated_at = excluded.updated_at",
        [mention.platform, a.platform_id, a.handle, a.name, a.followers, int(a.verified),
         to_iso(now), int(a.followers_known)],
    )
    row = db.execute(
        "SELECT id FROM authors WHERE platform = ? AND platform_user_id = ?",
        [mention.platform, a.platform_id],
    ).fetchone()
    return row[0]


_MENTION_COLUMNS = """
    m.id, m.platform, m.platform_id, m.source, m.brand, m.text, m.url, m.lang,
    m.conversation_id, m.in_reply_to_id, m.engagement, m.api_replyable, m.created_at,
    m.status, m.claimed_by, m.claimed_at, m.replied_at,
    a.handle AS author_handle, a.name AS author_name, a.followers AS author_followers,
    a.verified AS author_verified
"""


def untriaged(store: Store, limit: int) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT {_MENTION_COLUMNS} FROM mentions m JOIN authors a ON a.id = m.author_id"
        f" WHERE m.status = 'new' AND {NOT_HELD.format(stage='triage')} ORDER BY m.id LIMIT ?",
        [limit],
    )
    return [decode(r) for r in rows]


@dataclass(frozen=True)
class TriageRecord:
    mention_id: int
    label: str
    scores: dict[str, float]
    complaint: bool
    needs_reply: bool
    optional: bool
    reason: str
    topic: str
    priority: float
    factors: dict[str, float]
    model_name: str
    model_version: str
    spam: bool = False
    sarcasm: bool = False
    language: str = ""  # ISO 639-1, "" unknown
    role: str = "original"  # original | customer | bystander (sentiment.roles)
    heads: dict[str, float] = field(default_factory=dict)  # head probabilities
    rules: dict[str, list[str]] = field(default_factory=dict)  # rules that fired


def save_triage(store: Store, records: list[TriageRecord], now: datetime) -> None:
    """Store triage results and move each mention to needs_reply or no_action."""
    with store.atomic() as db:
        for r in records:
            db.execute(
                "INSERT OR REPLACE INTO triage (mention_id, label, scores, complaint,"
                " needs_reply, optional, reason, topic, priority, factors, model_name,"
                " model_version, triaged_at, spam, sarcasm, language, role, heads, rules)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [r.mention_id, r.label, dumps(r.scores), int(r.complaint), int(r.needs_reply),
                 int(r.optional), r.reason, r.topic, r.priority, dumps(r.factors),
                 r.model_name, r.model_version, to_iso(now), int(r.spam), int(r.sarcasm),
                 r.language, r.role, dumps(r.heads), dumps(r.rules)],
            )
            wants_draft = r.needs_reply or r.optional
            db.execute(
                "UPDATE mentions SET status = ? WHERE id = ? AND status = 'new'",
                ["needs_reply" if wants_draft else "no_action", r.mention_id],
            )


def awaiting_draft(store: Store, limit: int) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT {_MENTION_COLUMNS}, t.label, t.topic, t.priority, t.optional, t.reason,"
        " t.spam, t.language, t.role, t.rules, t.queued_by_hand FROM mentions m"
        " JOIN authors a ON a.id = m.author_id"
        " JOIN triage t ON t.mention_id = m.id"
        f" WHERE m.status = 'needs_reply' AND {NOT_HELD.format(stage='draft')}"
        " ORDER BY t.priority DESC, m.id LIMIT ?",
        [limit],
    )
    return [decode(r) for r in rows]


_ANSWERS_US = """
    SELECT m.id FROM mentions m WHERE m.status = 'no_action' AND m.flags = '[]'
    AND NOT EXISTS (SELECT 1 FROM drafts x WHERE x.mention_id = m.id)
    -- a message the outcomes job judged resolved was closed on purpose (store.outcomes)
    AND NOT EXISTS (SELECT 1 FROM conversation_outcomes o
                    WHERE o.evidence_mention_id = m.id AND o.outcome = 'resolved')
    AND EXISTS (SELECT 1 FROM drafts d JOIN mentions o ON o.id = d.mention_id
                WHERE d.status = 'posted' AND (
                    (m.in_reply_to_id != '' AND m.in_reply_to_id = d.posted_id)
                    OR (o.conversation_id != '' AND o.conversation_id = m.conversation_id
                        AND o.author_id = m.author_id AND m.created_at > d.posted_at)))
"""


def reopen_answers(store: Store) -> int:
    """Follow-up: a customer who writes back after our reply goes back to the queue,
    even when triage alone would not have answered (a "thanks, still broken" reads
    positive). Their history shows beside the new draft (``thread``)."""
    with store.atomic() as db:
        ids = [r[0] for r in db.execute(_ANSWERS_US).fetchall()]
        for mention_id in ids:
            db.execute("UPDATE triage SET needs_reply = 1, optional = 0,"
                       " reason = 'answered our reply', priority = MIN(1.0, priority * 10)"
                       " WHERE mention_id = ?", [mention_id])
            db.execute("UPDATE mentions SET status = 'needs_reply' WHERE id = ?", [mention_id])
    return len(ids)


def get(store: Store, mention_id: int) -> dict[str, Any] | None:
    rows = store.query(
        f"SELECT {_MENTION_COLUMNS}, t.label, t.scores, t.complaint, t.needs_reply,"
        " t.optional, t.reason, t.topic, t.priority, t.factors, t.model_name,"
        " t.model_version, t.spam, t.sarcasm, t.language, t.role, t.heads, t.rules"
        " FROM mentions m JOIN authors a ON a.id = m.author_id"
        " LEFT JOIN triage t ON t.mention_id = m.id WHERE m.id = ?",
        [mention_id],
    )
    return decode(rows[0]) if rows else None


def thread(store: Store, mention_id: int) -> list[dict[str, Any]]:
    """Earlier messages of the same conversation, and our replies in it, oldest first."""
    return store.query(
        "SELECT m.id, a.handle AS author_handle, m.text, m.created_at, d.text AS reply,"
        " d.posted_at FROM mentions m JOIN authors a ON a.id = m.author_id"
        " LEFT JOIN drafts d ON d.mention_id = m.id AND d.status = 'posted'"
        " WHERE m.conversation_id != '' AND m.conversation_id ="
        " (SELECT conversation_id FROM mentions WHERE id = ?) AND m.id != ?"
        " ORDER BY m.created_at",
        [mention_id, mention_id],
    )


def thread_facts(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    """What is stored about the posts a mention answers (the fields of
    ``sentiment.roles.ThreadFacts``): the parent's and the thread starter's authors
    (None when not stored), and whether the parent is one of our posted replies."""
    parent_id = row.get("in_reply_to_id") or ""
    if not parent_id:
        return {}

    def author_of(platform_id: str) -> str | None:
        found = store.query(
            "SELECT a.handle FROM mentions m JOIN authors a ON a.id = m.author_id"
            " WHERE m.platform = ? AND m.platform_id = ?", [row["platform"], platform_id])
        return found[0]["handle"] if found else None

    ours = store.query(
        "SELECT 1 FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " WHERE m.platform = ? AND d.posted_id = ? LIMIT 1", [row["platform"], parent_id])
    conversation = row.get("conversation_id") or ""
    return {
        "in_reply_to_id": parent_id,
        "parent_author": author_of(parent_id),
        "root_author": author_of(conversation) if conversation else None,
        "replies_to_us": bool(ours),
    }


def redact(store: Store, mention_id: int, reason: str, now: datetime) -> None:
    """Forget what the post said, keeping the row (drafts, metrics and the audit log
    point at it): the platform reported the post gone. A draft still pending is
    refused and the mention leaves the queue."""
    with store.atomic() as db:
        db.execute(
            "UPDATE mentions SET text = '', raw = '{}', url = '', engagement = '{}',"
            " redacted_at = ? WHERE id = ? AND redacted_at IS NULL", [to_iso(now), mention_id])
        db.execute("UPDATE drafts SET status = 'refused', error = ?, updated_at = ?"
                   " WHERE mention_id = ? AND status = 'pending'",
                   [reason, to_iso(now), mention_id])
        db.execute("UPDATE mentions SET status = 'no_action' WHERE id = ?"
                   " AND status IN ('new', 'needs_reply', 'drafted')", [mention_id])
        audit.record(db, now, "mentiondesk", "redacted", mention_id=mention_id, note=reason)


def unanswered(store: Store, source: str, since: datetime, limit: int = 1000
               ) -> list[dict[str, Any]]:
    """Mentions of ``source`` since ``since`` still waiting for an agent (no draft, or a
    pending one): the ones worth checking for deletion on the platform."""
    return store.query(
        "SELECT m.id, m.platform_id FROM mentions m"
        " LEFT JOIN drafts d ON d.mention_id = m.id AND d.status != 'rejected'"
        " WHERE m.source = ? AND m.created_at >= ? AND m.redacted_at IS NULL"
        " AND m.status IN ('new', 'needs_reply', 'drafted')"
        " AND (d.id IS NULL OR d.status = 'pending') ORDER BY m.id LIMIT ?",
        [source, to_iso(since), limit])
