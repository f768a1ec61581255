"""Read queries behind the web inbox: the attention queue, its filter counts, and context.

The queue is wider than ``drafts.pending``: drafts the platform refused or that
failed for good need an agent too (to reply by hand), so they are listed beside the
pending ones. The agent actions themselves stay in ``store.drafts``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError
from store import audit
from store.db import Store, decode
from store.drafts import QUEUE_SELECT

# Draft states an agent must look at.
ATTENTION = ("pending", "refused", "failed")
UNASSIGNED = "-"
# filter name -> SQL column it compares with
FACETS: dict[str, str] = {
    "brand": "m.brand",
    "platform": "m.platform",
    "sentiment": "t.label",
    "topic": "t.topic",
    "status": "d.status",
    "assignee": "COALESCE(m.claimed_by, '-')",
}


def _where(filters: dict[str, str], skip: str = "") -> tuple[str, list[Any]]:
    marks = ", ".join("?" for _ in ATTENTION)
    # A refused draft leaves the queue once an agent replied by hand.
    clauses = [f"d.status IN ({marks})", "NOT (d.status != 'pending' AND m.status = 'replied')"]
    params: list[Any] = list(ATTENTION)
    for key, value in filters.items():
        if value and key in FACETS and key != skip:
            clauses.append(f"{FACETS[key]} = ?")
            params.append(value)
    return " AND ".join(clauses), params


def queue(store: Store, filters: dict[str, str], limit: int = 300) -> list[dict[str, Any]]:
    """Drafts needing an agent, most urgent first (the caller refines by SLA time left).

    Filters (exact values): brand, platform, sentiment, topic, status, assignee
    (``UNASSIGNED`` for nobody's).
    """
    where, params = _where(filters)
    rows = store.query(
        f"{QUEUE_SELECT} WHERE {where}"
        " ORDER BY t.optional, t.priority DESC, m.created_at LIMIT ?",
        [*params, limit],
    )
    return [decode(r) for r in rows]


def facet_counts(store: Store, filters: dict[str, str]) -> dict[str, list[tuple[str, int]]]:
    """For each filter, its values with how many items each would show, given the
    other filters (so a count never promises what the list will not show)."""
    counts: dict[str, list[tuple[str, int]]] = {}
    for name, column in FACETS.items():
        where, params = _where(filters, skip=name)
        rows = store.query(
            f"SELECT {column} AS value, count(*) AS n FROM drafts d"
            " JOIN mentions m ON m.id = d.mention_id JOIN triage t ON t.mention_id = m.id"
            f" WHERE {where} GROUP BY value ORDER BY n DESC, value",
            params,
        )
        counts[name] = [(str(r["value"]), r["n"]) for r in rows]
    return counts


def replied_by_hand(store: Store, draft_id: int, actor: str, now: datetime) -> None:
    """The agent posted a refused or failed reply themselves: the mention is answered."""
    with store.atomic() as db:
        row = db.execute(
            "SELECT d.status, d.mention_id, d.text FROM drafts d WHERE d.id = ?", [draft_id]
        ).fetchone()
        if row is None or row[0] not in ("refused", "failed"):
            raise ConflictError(f"draft {draft_id} was not refused by the platform")
        db.execute("UPDATE mentions SET status = 'replied', replied_at = ? WHERE id = ?"
                   " AND status != 'replied'", [to_iso(now), row[1]])
        audit.record(db, now, actor, "replied by hand", mention_id=row[1], draft_id=draft_id,
                     after=row[2])


def replies_to_author(store: Store, mention_id: int, limit: int = 5) -> list[dict[str, Any]]:
    """Our posted replies to this mention's author in other conversations (replies in
    this one are shown by ``mentions.thread``), newest first."""
    return store.query(
        "WITH this AS (SELECT author_id, conversation_id FROM mentions WHERE id = ?)"
        " SELECT m.id AS mention_id, m.text AS mention_text, m.url, d.text AS reply,"
        " d.posted_at, d.approved_by FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " JOIN this ON m.author_id = this.author_id"
        " WHERE d.status = 'posted' AND m.id != ?"
        " AND (this.conversation_id = '' OR m.conversation_id != this.conversation_id)"
        " ORDER BY d.posted_at DESC LIMIT ?",
        [mention_id, mention_id, limit],
    )
