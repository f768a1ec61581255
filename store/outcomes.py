"""Conversation outcomes (m009): what happened after our reply, and what it changes.

A conversation is every mention sharing a platform conversation id (a mention without
one is its own conversation) in which we posted a reply. Its outcome is decided from
the first customer's latest message after our latest reply (``pending`` finds the
conversations whose evidence changed) or from their silence; ``save`` stores it and,
in the same transaction, acts on it:

- ``open``, or any outcome with a *dissatisfied* prediction: the customer's message goes
  back to the queue above every fresh mention (priority ``REOPENED_PRIORITY``), with
  the reason ("still not working after our reply"), assigned to the agent who approved
  our reply unless someone holds it;
- ``resolved``: the customer's message leaves the queue (a pending draft for it is
  closed with ``CLOSED_NOTE``, which the acceptance figures leave out): a thank-you
  that asks nothing needs no reply;
- ``escalated`` and ``no_answer`` change nothing in the queue.

``correct`` is an agent's one-click fix, kept in ``outcome_corrections`` with the texts
judged (the issue-17 `model adapt` reads them: field, model_value, value, reply,
customer) and acted on like a decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from json import dumps, loads
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError
from store import audit
from store.db import Store

SYSTEM = "mentiondesk"
OUTCOMES = ("resolved", "open", "escalated", "no_answer")
SATISFACTION = ("satisfied", "neutral", "dissatisfied")
REOPENED_PRIORITY = 2.0  # above any triage priority (0..1 plus waiting): the top
CLOSED_NOTE = "closed: the customer says it is resolved"
ACTION = "outcome"  # audit action of a decision that moved a mention


@dataclass(frozen=True)
class Pending:
    """A conversation whose outcome is due: a new customer message after our latest
    reply (``follow_up``), or silence past the wait (``follow_up`` None)."""

    conversation: str
    mention_id: int  # the first mention we answered
    first_at: str
    first_text: str
    brand: str
    platform: str
    topic: str
    template: str
    agent: str
    reply_draft_id: int
    reply: str
    replies: int
    follow_up: dict[str, Any] | None  # id, text, created_at of the customer's message


@dataclass(frozen=True)
class Outcome:
    """What to store for one conversation (``Pending`` plus the decision)."""

    pending: Pending
    outcome: str
    reason: str
    words: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)
    satisfaction: str | None = None
    satisfaction_score: float | None = None
    satisfaction_scores: dict[str, float] = field(default_factory=dict)
    sentiment_change: float | None = None
    model_version: str = ""


def conversation_key(platform: str, conversation_id: str, mention_id: int) -> str:
    return f"{platform}:{conversation_id}" if conversation_id else f"{platform}:m{mention_id}"


_REPLIES = """
    SELECT d.id AS draft_id, d.text AS reply, d.posted_at, d.posted_id, d.template,
           coalesce(d.approved_by, '') AS agent, m.id AS mention_id, m.platform,
           m.conversation_id, m.author_id, m.brand, m.created_at, m.text,
           coalesce(nullif(t.topic, ''), 'general') AS topic
    FROM drafts d JOIN mentions m ON m.id = d.mention_id
    LEFT JOIN triage t ON t.mention_id = m.id
    WHERE d.status = 'posted' AND d.posted_at >= ? ORDER BY d.posted_at, d.id
"""
# The first customer's latest message after our reply, once triage has seen it.
_FOLLOW_UP = """
    SELECT n.id, n.text, n.created_at FROM mentions n
    WHERE n.author_id = ? AND n.created_at > ? AND n.status != 'new'
      AND n.redacted_at IS NULL AND n.id != ?
      AND ((? != '' AND n.conversation_id = ?) OR n.in_reply_to_id = ?)
    ORDER BY n.created_at DESC, n.id DESC LIMIT 1
"""


def pending(store: Store, now: datetime, wait_before: datetime, replied_since: datetime,
            limit: int = 500) -> list[Pending]:
    """Conversations answered since ``replied_since`` whose outcome is due: the customer
    wrote after our latest reply and that message was not judged yet, or our latest
    reply was posted before ``wait_before`` with no answer and no outcome for it yet."""
    conversations: dict[str, list[dict[str, Any]]] = {}
    for row in store.query(_REPLIES, [to_iso(replied_since)]):
        key = conversation_key(row["platform"], row["conversation_id"], row["mention_id"])
        conversations.setdefault(key, []).append(row)
    keys = list(conversations)
    stored = _rows(store, keys)
    due = []
    for key in keys:
        replies = conversations[key]
        first = min(replies, key=lambda r: (r["created_at"], r["mention_id"]))
        latest = max(replies, key=lambda r: (r["posted_at"], r["draft_id"]))
        follow = store.query(_FOLLOW_UP, [
            first["author_id"], latest["posted_at"], latest["mention_id"],
            first["conversation_id"], first["conversation_id"], latest["posted_id"] or ""])
        follow_up = follow[0] if follow else None
        row = stored.get(key)
        if follow_up is not None:
            if row and row["evidence_mention_id"] == follow_up["id"]:
                continue
        elif latest["posted_at"] >= to_iso(wait_before) or (
                row and row["reply_draft_id"] == latest["draft_id"]):
            continue  # still waiting, or this silence is already decided (or corrected)
        due.append(Pending(
            conversation=key, mention_id=first["mention_id"], first_at=first["created_at"],
            first_text=first["text"], brand=first["brand"], platform=first["platform"],
            topic=first["topic"], template=latest["template"], agent=latest["agent"],
            reply_draft_id=latest["draft_id"], reply=latest["reply"],
            replies=len({r["draft_id"] for r in replies}), follow_up=follow_up))
        if len(due) >= limit:
            break
    return due


def _rows(store: Store, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in store.query(
                f"SELECT * FROM conversation_outcomes WHERE conversation IN ({marks})", chunk):
            found[row["conversation"]] = row
    return found


def save(store: Store, decided: list[Outcome], now: datetime) -> dict[str, int]:
    """Store the decisions and act on them (module doc); returns counts per effect."""
    counts = {"reopened": 0, "closed": 0}
    with store.atomic() as db:
        for o in decided:
            p = o.pending
            evidence = p.follow_up["id"] if p.follow_up else None
            db.execute(
                "INSERT INTO conversation_outcomes (conversation, mention_id, first_at, brand,"
                " platform, topic, template, agent, reply_draft_id, replies, outcome,"
                " model_outcome, reason, evidence_mention_id, evidence_words, probabilities,"
                " satisfaction, satisfaction_score, satisfaction_scores, sentiment_change,"
                " model_version, decided_at, decided_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation) DO UPDATE SET mention_id = excluded.mention_id,"
                " first_at = excluded.first_at, topic = excluded.topic,"
                " template = excluded.template, agent = excluded.agent,"
                " reply_draft_id = excluded.reply_draft_id, replies = excluded.replies,"
                " outcome = excluded.outcome, model_outcome = excluded.model_outcome,"
                " reason = excluded.reason, evidence_mention_id = excluded.evidence_mention_id,"
                " evidence_words = excluded.evidence_words,"
                " probabilities = excluded.probabilities, satisfaction = excluded.satisfaction,"
                " satisfaction_score = excluded.satisfaction_score,"
                " satisfaction_scores = excluded.satisfaction_scores,"
                " sentiment_change = excluded.sentiment_change,"
                " model_version = excluded.model_version, decided_at = excluded.decided_at,"
                " decided_by = excluded.decided_by",
                [p.conversation, p.mention_id, p.first_at, p.brand, p.platform, p.topic,
                 p.template, p.agent, p.reply_draft_id, p.replies, o.outcome, o.outcome,
                 o.reason, evidence, dumps(o.words), dumps(o.probabilities), o.satisfaction,
                 o.satisfaction_score, dumps(o.satisfaction_scores), o.sentiment_change,
                 o.model_version, to_iso(now), SYSTEM])
            effect = _act(db, evidence, o.outcome, o.satisfaction, o.reason, p.agent,
                          SYSTEM, now)
            if effect:
                counts[effect] += 1
    return counts


def _act(db: Any, mention_id: int | None, outcome: str, satisfaction: str | None,
         reason: str, agent: str, actor: str, now: datetime) -> str:
    """Move the customer's message in the queue as the outcome says; '' when nothing
    moved (silence, escalation, or a message already answered)."""
    if mention_id is None:
        return ""
    if outcome == "open" or satisfaction == "dissatisfied":
        why = reason if outcome == "open" else f"{reason}, but the customer is unhappy"
        db.execute("UPDATE triage SET needs_reply = 1, optional = 0, priority = ?, reason = ?"
                   " WHERE mention_id = ?", [REOPENED_PRIORITY, why, mention_id])
        moved = db.execute("UPDATE mentions SET status = 'needs_reply' WHERE id = ?"
                           " AND status = 'no_action'", [mention_id]).rowcount
        if agent:
            db.execute("UPDATE mentions SET claimed_by = ?, claimed_at = ? WHERE id = ?"
                       " AND claimed_by IS NULL AND status != 'replied'",
                       [agent, to_iso(now), mention_id])
        audit.record(db, now, actor, ACTION, mention_id=mention_id,
                     after=f"back to the top of the queue: {why}",
                     note=f"outcome {outcome}, satisfaction {satisfaction or '-'}"
                     + ("" if moved else " (already queued)"))
        return "reopened"
    if outcome == "resolved":
        db.execute("UPDATE triage SET needs_reply = 0, optional = 0, reason = ?"
                   " WHERE mention_id = ?", [f"resolved: {reason}", mention_id])
        db.execute("UPDATE drafts SET status = 'rejected', note = ?, updated_at = ?"
                   " WHERE mention_id = ? AND status = 'pending'",
                   [CLOSED_NOTE, to_iso(now), mention_id])
        db.execute("UPDATE mentions SET status = 'no_action' WHERE id = ?"
                   " AND status IN ('needs_reply', 'drafted')", [mention_id])
        audit.record(db, now, actor, ACTION, mention_id=mention_id,
                     after=f"closed: {reason}", note="outcome resolved")
        return "closed"
    return ""


def correct(store: Store, conversation: str, field_name: str, value: str, actor: str,
            now: datetime, score: float | None = None) -> bool:
    """An agent's correction of a conversation's ``outcome`` or ``satisfaction`` (with
    the matching predicted ``score``): kept with the texts judged, applied to the row
    and acted on like a decision. False when the value was already that."""
    allowed = {"outcome": OUTCOMES, "satisfaction": SATISFACTION}.get(field_name)
    if allowed is None or value not in allowed:
        raise ConflictError(f"{field_name}={value!r} is not an outcome correction")
    with store.atomic() as db:
        cursor = db.execute("SELECT * FROM conversation_outcomes WHERE conversation = ?",
                            [conversation])
        found = cursor.fetchone()
        if found is None:
            raise ConflictError(f"conversation {conversation} has no outcome yet")
        row = dict(zip([c[0] for c in cursor.description], found, strict=True))
        current = row[field_name]
        if current == value:
            return False
        first = db.execute("SELECT model_value FROM outcome_corrections WHERE conversation = ?"
                           " AND field = ? ORDER BY id LIMIT 1",
                           [conversation, field_name]).fetchone()
        reply = db.execute("SELECT text FROM drafts WHERE id = ?",
                           [row["reply_draft_id"]]).fetchone()
        evidence = row["evidence_mention_id"]
        customer = db.execute("SELECT text FROM mentions WHERE id = ?",
                              [evidence]).fetchone() if evidence else None
        db.execute("INSERT INTO outcome_corrections (conversation, mention_id, brand, reply,"
                   " customer, field, model_value, value, actor, at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [conversation, evidence, row["brand"], reply[0] if reply else "",
                    customer[0] if customer else "", field_name,
                    first[0] if first else (current or ""), value, actor, to_iso(now)])
        update = {field_name: value, "decided_by": actor, "decided_at": to_iso(now)}
        if field_name == "satisfaction" and score is not None:
            update["satisfaction_score"] = score
        sets = ", ".join(f"{k} = ?" for k in update)
        db.execute(f"UPDATE conversation_outcomes SET {sets} WHERE conversation = ?",
                   [*update.values(), conversation])
        audit.record(db, now, actor, "outcome corrected", mention_id=row["mention_id"],
                     before=f"{field_name}={current}", after=f"{field_name}={value}",
                     note=conversation)
        # The agent's word is the decision: an outcome they set is acted on as set (a
        # predicted "dissatisfied" does not reopen what they closed).
        outcome = value if field_name == "outcome" else row["outcome"]
        satisfaction = value if field_name == "satisfaction" else None
        why = {"open": "an agent reopened it", "resolved": "an agent marked it resolved"}.get(
            outcome, row["reason"])
        _act(db, evidence, outcome, satisfaction, why, row["agent"], actor, now)
        return True


def corrections(store: Store, since: str = "") -> list[dict[str, Any]]:
    """Every outcome correction (oldest first): field, model_value, value, reply,
    customer, brand, actor, at. What `model adapt` reads."""
    return store.query("SELECT * FROM outcome_corrections WHERE at >= ? ORDER BY id",
                       [since])


def get(store: Store, conversation: str) -> dict[str, Any] | None:
    rows = store.query("SELECT * FROM conversation_outcomes WHERE conversation = ?",
                       [conversation])
    return _decoded(rows[0]) if rows else None


def for_mentions(store: Store, mention_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The outcome of each mention's conversation, for mentions that are its first
    answered mention or its evidence (what the inbox shows beside them)."""
    if not mention_ids:
        return {}
    marks = ", ".join("?" for _ in mention_ids)
    found: dict[int, dict[str, Any]] = {}
    for row in store.query(
            f"SELECT * FROM conversation_outcomes WHERE mention_id IN ({marks})"
            f" OR evidence_mention_id IN ({marks})", [*mention_ids, *mention_ids]):
        row = _decoded(row)
        for key in ("mention_id", "evidence_mention_id"):
            if row[key] in mention_ids:
                found[row[key]] = row
    return found


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("evidence_words", "probabilities", "satisfaction_scores"):
        if isinstance(row.get(key), str):
            row[key] = loads(row[key])
    return row


# Filters the outcome metrics and their drill-down share (exact values). The topic is
# read live from the first mention's triage, as /mentions reads it, so an agent's topic
# correction moves the conversation in both.
_FACT_COLUMNS = {
    "brand": "o.brand", "platform": "o.platform", "template": "o.template",
    "agent": "o.agent", "topic": "coalesce(nullif(t.topic, ''), '-')",
}
FACT_FILTERS = tuple(_FACT_COLUMNS)


def facts(store: Store, since: str, until: str, filters: dict[str, str] | None = None
          ) -> list[dict[str, Any]]:
    """One row per conversation whose first answered mention was created in
    [since, until), narrowed by ``FACT_FILTERS``: the outcome metrics' input."""
    filters = {k: v for k, v in (filters or {}).items() if k in _FACT_COLUMNS and v}
    where = "".join(f" AND {_FACT_COLUMNS[k]} = ?" for k in filters)
    return store.query(
        "SELECT o.conversation, o.mention_id, o.first_at, o.brand, o.platform,"
        f" {_FACT_COLUMNS['topic']} AS topic, o.template, o.agent, o.replies, o.outcome,"
        " o.satisfaction, o.satisfaction_score, o.sentiment_change"
        " FROM conversation_outcomes o LEFT JOIN triage t ON t.mention_id = o.mention_id"
        f" WHERE o.first_at >= ? AND o.first_at < ?{where} ORDER BY o.first_at",
        [since, until, *filters.values()])


# /mentions filters over a mention's conversation outcome (store.listing): the value
# "any" matches every conversation the figure counts (its denominator).
LISTING_FILTERS: dict[str, tuple[str, str]] = {
    # name: (condition for a value, condition for "any")
    "outcome": ("outcome = ?", "1"),
    "csat": ("satisfaction = ?", "satisfaction IS NOT NULL"),
    "first_contact": ("(outcome = 'resolved' AND replies = 1) = CAST(? AS INTEGER)", "1"),
    "sentiment_change": ("(sentiment_change IS NOT NULL) = CAST(? AS INTEGER)",
                         "sentiment_change IS NOT NULL"),
    "template": ("template = ?", "1"),
    "agent": ("agent = ?", "1"),
}


def listing_clauses(filters: dict[str, str]) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``m`` (a mention) for the outcome filters set in ``filters``."""
    clauses, params = [], []
    for name, (when_value, when_any) in LISTING_FILTERS.items():
        value = filters.get(name)
        if not value:
            continue
        condition = when_any if value == "any" else when_value
        clauses.append(f"m.id IN (SELECT mention_id FROM conversation_outcomes"
                       f" WHERE {condition})")
        if value != "any":
            params.append(value)
    return clauses, params
