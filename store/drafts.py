"""Drafts and the agent actions on them; every change is audited in its transaction.

Approval is optimistic: the caller passes the draft ``version`` it showed the
agent, and an approve or edit of a draft a colleague changed since is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError, StoreError
from core.reply import Posted
from store import audit
from store.db import Store, decode, dumps
from store.outcomes import CLOSED_NOTE

SYSTEM = "mentiondesk"
REMINDER = "reminder"  # the template name (and audit action) of a follow-up reminder
ANSWERED = "the customer answered"  # why the desk closed a reminder itself


def create(store: Store, mention_id: int, text: str, now: datetime, *, template: str = "",
           lang: str = "", notes: list[str] | None = None,
           options: list[dict[str, Any]] | None = None, article_url: str = "") -> int | None:
    """Add a pending draft for a mention awaiting one; None if it already has one.
    ``options`` are further texts offered beside it (e.g. a past approved reply)."""
    with store.atomic() as db:
        cur = db.execute(
            "UPDATE mentions SET status = 'drafted' WHERE id = ? AND status = 'needs_reply'",
            [mention_id],
        )
        if cur.rowcount == 0:
            return None
        draft_id = db.execute(
            "INSERT INTO drafts (mention_id, text, first_text, template, lang, notes, options,"
            " article_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [mention_id, text, text, template, lang, dumps(notes or []), dumps(options or []),
             article_url, to_iso(now), to_iso(now)],
        ).lastrowid
        audit.record(db, now, SYSTEM, "drafted", mention_id=mention_id, draft_id=draft_id,
                     after=text)
        return draft_id


def hold(store: Store, mention_id: int, flags: list[dict[str, str]]) -> None:
    """No draft for this mention (spam, a scam, abuse, a second reply in a thread): it
    leaves the drafting queue with its flags kept for the agent and the log."""
    with store.atomic() as db:
        db.execute("UPDATE mentions SET status = 'no_action', flags = ? WHERE id = ?"
                   " AND status = 'needs_reply'", [dumps(flags), mention_id])


def flag(store: Store, mention_id: int, flags: list[dict[str, str]]) -> None:
    """Flags the agent sees beside the draft (private data the customer posted)."""
    with store.atomic() as db:
        db.execute("UPDATE mentions SET flags = ? WHERE id = ?", [dumps(flags), mention_id])


QUEUE_SELECT = """
    SELECT d.id AS draft_id, d.text AS draft_text, d.version, d.status AS draft_status,
           d.note, d.error, d.manual_url, d.created_at AS drafted_at, d.posted_id,
           d.posted_url, d.posted_at, d.approved_by, d.attempts, d.first_text, d.template,
           d.lang AS draft_lang, d.notes AS draft_notes, d.options, d.article_url, m.flags,
           m.id AS mention_id, m.platform, m.platform_id, m.source, m.brand, m.text, m.url,
           m.lang, m.created_at, m.status, m.claimed_by, m.api_replyable, m.engagement,
           a.handle AS author_handle, a.name AS author_name, a.followers AS author_followers,
           t.label, t.scores, t.topic, t.priority, t.factors, t.reason, t.optional,
           t.complaint
    FROM drafts d JOIN mentions m ON m.id = d.mention_id
    JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id
"""


def pending(store: Store, limit: int = 200, **filters: str) -> list[dict[str, Any]]:
    """Pending drafts, most urgent first. Filters: brand, platform, label, topic,
    claimed_by (exact values)."""
    allowed = {"brand": "m.brand", "platform": "m.platform", "label": "t.label",
               "topic": "t.topic", "claimed_by": "m.claimed_by"}
    where, params = ["d.status = 'pending'"], []
    for key, value in filters.items():
        if value:
            where.append(f"{allowed[key]} = ?")
            params.append(value)
    rows = store.query(
        f"{QUEUE_SELECT} WHERE {' AND '.join(where)}"
        " ORDER BY t.optional, t.priority DESC, m.created_at LIMIT ?",
        [*params, limit],
    )
    return [decode(r) for r in rows]


def get(store: Store, draft_id: int) -> dict[str, Any] | None:
    rows = store.query(f"{QUEUE_SELECT} WHERE d.id = ?", [draft_id])
    return decode(rows[0]) if rows else None


def _current(db, draft_id: int) -> sqlite3.Row:
    row = db.execute(
        "SELECT d.status, d.version, d.text, d.mention_id, m.claimed_by FROM drafts d"
        " JOIN mentions m ON m.id = d.mention_id WHERE d.id = ?",
        [draft_id],
    ).fetchone()
    if row is None:
        raise ConflictError(f"draft {draft_id} does not exist")
    return row


def _check(row, draft_id: int, actor: str, version: int, *, takeover: bool = False) -> None:
    status, current_version, _text, _mention, claimed_by = row
    if status != "pending":
        raise ConflictError(f"draft {draft_id} is already {status}")
    if current_version != version:
        raise ConflictError(
            f"draft {draft_id} was changed by a colleague since you opened it; reload it"
        )
    if claimed_by and claimed_by != actor and not takeover:
        raise ConflictError(f"{claimed_by} is working on this mention; take it over first")


def edit(store: Store, draft_id: int, actor: str, version: int, text: str,
         now: datetime) -> int:
    """Replace the draft's text; returns the new version."""
    with store.atomic() as db:
        row = _current(db, draft_id)
        _check(row, draft_id, actor, version)
        if text == row[2]:
            return version
        db.execute(
            "UPDATE drafts SET text = ?, version = version + 1, updated_at = ? WHERE id = ?",
            [text, to_iso(now), draft_id],
        )
        audit.record(db, now, actor, "edited", mention_id=row[3], draft_id=draft_id,
                     before=row[2], after=text)
        return version + 1


def approve(store: Store, draft_id: int, actor: str, version: int, now: datetime,
            text: str | None = None, note: str = "") -> None:
    """Approve exactly the text the agent saw (or edited, when ``text`` is given);
    ``note`` goes into the audit entry (who wrote the text: a template, a model…)."""
    with store.atomic() as db:
        if text is not None:
            version = edit(store, draft_id, actor, version, text, now)
        row = _current(db, draft_id)
        _check(row, draft_id, actor, version)
        try:
            db.execute(
                "UPDATE drafts SET status = 'approved', approved_by = ?, approved_at = ?,"
                " updated_at = ? WHERE id = ?",
                [actor, to_iso(now), to_iso(now), draft_id],
            )
        except sqlite3.IntegrityError as exc:
            raise ConflictError("another reply to this mention is already approved") from exc
        audit.record(db, now, actor, "approved", mention_id=row[3], draft_id=draft_id,
                     after=row[2], note=note)
        _remember(db, draft_id, actor, now)


def _remember(db, draft_id: int, actor: str, now: datetime) -> None:
    """Keep the approved reply with its mention, for later drafts to learn from."""
    db.execute(
        "INSERT OR REPLACE INTO reply_memory (draft_id, mention_id, brand, topic,"
        " mention_text, author_handle, author_name, reply, drafted, edited, approved_by,"
        " approved_at) SELECT d.id, m.id, m.brand, t.topic, m.text, a.handle, a.name,"
        " d.text, d.first_text, d.text != d.first_text, ?, ?"
        " FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id"
        " WHERE d.id = ?", [actor, to_iso(now), draft_id])


def reject(store: Store, draft_id: int, actor: str, version: int, note: str,
           now: datetime) -> None:
    """Reject the draft; the mention then needs no reply (it stays in the log)."""
    with store.atomic() as db:
        row = _current(db, draft_id)
        _check(row, draft_id, actor, version)
        db.execute(
            "UPDATE drafts SET status = 'rejected', note = ?, updated_at = ? WHERE id = ?",
            [note, to_iso(now), draft_id],
        )
        # A rejected reminder leaves its mention answered: a posted reply stays a reply.
        db.execute("UPDATE mentions SET status = 'no_action' WHERE id = ?"
                   " AND status != 'replied'", [row[3]])
        audit.record(db, now, actor, "rejected", mention_id=row[3], draft_id=draft_id,
                     before=row[2], note=note)


def skip(store: Store, draft_id: int, actor: str, now: datetime) -> None:
    with store.atomic() as db:
        row = _current(db, draft_id)
        audit.record(db, now, actor, "skipped", mention_id=row[3], draft_id=draft_id)


def claim(store: Store, mention_id: int, actor: str, now: datetime,
          *, takeover: bool = False) -> None:
    """Mark the mention as the actor's; taking one from a colleague must be explicit."""
    with store.atomic() as db:
        row = db.execute("SELECT claimed_by FROM mentions WHERE id = ?", [mention_id]).fetchone()
        if row is None:
            raise ConflictError(f"mention {mention_id} does not exist")
        holder = row[0]
        if holder == actor:
            return
        if holder and not takeover:
            raise ConflictError(f"{holder} is working on this mention")
        db.execute("UPDATE mentions SET claimed_by = ?, claimed_at = ? WHERE id = ?",
                   [actor, to_iso(now), mention_id])
        audit.record(db, now, actor, "took over" if holder else "claimed",
                     mention_id=mention_id, before=holder or "", after=actor)


def release(store: Store, mention_id: int, actor: str, now: datetime) -> bool:
    """Give the actor's claim back; False when the actor held none."""
    with store.atomic() as db:
        cur = db.execute(
            "UPDATE mentions SET claimed_by = NULL, claimed_at = NULL"
            " WHERE id = ? AND claimed_by = ?", [mention_id, actor])
        if cur.rowcount:
            audit.record(db, now, actor, "released", mention_id=mention_id)
        return bool(cur.rowcount)


# --- publishing -------------------------------------------------------------------
#
# Exactly once, whoever publishes: a process posts a draft only while it holds the
# draft's lease (owner and expiry, taken in one transaction). Every attempt is
# counted when the lease is taken, before any platform call (a check or a post), so
# a crash or a failed check counts too. A failed attempt sets ``next_attempt_at``
# (back-off) and writes no audit row: the audit gets one row per state change.

def unapprove(store: Store, draft_id: int, actor: str, approved_after: datetime,
              now: datetime) -> int:
    """Take an approval back while it still waits in the undo window (approved after
    ``approved_after``); the draft is pending again. Returns its new version. Like
    every action, refused on a mention a colleague holds (take it over first)."""
    with store.atomic() as db:
        row = db.execute("SELECT d.status, d.approved_at, d.version, d.mention_id, d.text,"
                         " m.claimed_by FROM drafts d JOIN mentions m ON m.id = d.mention_id"
                         " WHERE d.id = ?", [draft_id]).fetchone()
        if row is None:
            raise ConflictError(f"draft {draft_id} does not exist")
        if row[0] != "approved" or row[1] <= to_iso(approved_after):
            raise ConflictError(f"the reply of draft {draft_id} is already on its way")
        if row[5] and row[5] != actor:
            raise ConflictError(f"{row[5]} is working on this mention; take it over first")
        db.execute(
            "UPDATE drafts SET status = 'pending', approved_by = NULL, approved_at = NULL,"
            " version = version + 1, updated_at = ? WHERE id = ?", [to_iso(now), draft_id])
        db.execute("DELETE FROM reply_memory WHERE draft_id = ?", [draft_id])
        audit.record(db, now, actor, "undone", mention_id=row[3], draft_id=draft_id,
                     before=row[4])
        return row[2] + 1



@dataclass(frozen=True)
class Attempt:
    """A leased draft: ``check_first`` when an earlier attempt may have posted it;
    ``last`` when no post may follow (its attempts are used up: check, then give up)."""

    draft_id: int
    mention_id: int
    attempts: int
    check_first: bool
    last: bool


def to_publish(store: Store, limit: int, now: datetime,
               approved_before: datetime | None = None) -> list[dict[str, Any]]:
    """Drafts due for an attempt: approved (and out of the undo window that ended at
    ``approved_before``; all when None), or left in ``posting`` by a crash or a failed
    try; not leased by anyone, past their back-off, their source's posting not paused."""
    at = to_iso(now)
    ready = "9999" if approved_before is None else to_iso(approved_before)
    return store.query(
        "SELECT d.id AS draft_id, d.text, d.status, d.attempts, m.id AS mention_id,"
        " m.platform, m.platform_id, m.conversation_id, m.source, m.created_at,"
        " m.api_replyable"
        " FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " LEFT JOIN sources s ON s.name = m.source"
        " WHERE (d.status = 'posting' OR (d.status = 'approved' AND d.approved_at <= ?))"
        " AND (d.lease_until IS NULL OR d.lease_until <= ?)"
        " AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?)"
        " AND (s.publish_paused_until IS NULL OR s.publish_paused_until <= ?)"
        " ORDER BY d.approved_at LIMIT ?",
        [ready, at, at, at, limit],
    )


def mark_posting(store: Store, draft_id: int, now: datetime, *, owner: str = SYSTEM,
                 lease_seconds: float = 60, max_attempts: int = 5) -> Attempt | None:
    """Take the draft's lease and count an attempt, committed before any platform call.

    None when someone else holds a live lease, the draft is not due, or it is no
    longer approved or posting: then this process must not touch the platform.
    """
    with store.atomic() as db:
        row = db.execute(
            "SELECT status, attempts, mention_id, lease_owner, lease_until, next_attempt_at"
            " FROM drafts WHERE id = ?", [draft_id]).fetchone()
        if row is None or row[0] not in ("approved", "posting"):
            return None
        status, attempts, mention_id, holder, until, due = row
        if until and until > to_iso(now) and holder != owner:
            return None
        if due and due > to_iso(now):
            return None
        db.execute(
            "UPDATE drafts SET status = 'posting', attempts = attempts + 1, lease_owner = ?,"
            " lease_until = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?",
            [owner, to_iso(now + timedelta(seconds=lease_seconds)), to_iso(now), draft_id])
        if status == "approved":
            audit.record(db, now, SYSTEM, "posting", mention_id=mention_id, draft_id=draft_id,
                         note=owner)
        return Attempt(draft_id, mention_id, attempts + 1, check_first=status == "posting",
                       last=attempts + 1 > max_attempts)


def mark_posted(store: Store, draft_id: int, posted: Posted, now: datetime) -> None:
    """Record the reply the platform has, whoever holds the lease: it is the truth."""
    with store.atomic() as db:
        cur = db.execute(
            "UPDATE drafts SET status = 'posted', posted_id = ?, posted_url = ?, posted_at = ?,"
            " error = '', lease_owner = NULL, lease_until = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'posting'",
            [posted.platform_id, posted.url, to_iso(posted.posted_at), to_iso(now), draft_id])
        if cur.rowcount == 0:
            raise StoreError(f"draft {draft_id} was not being posted")
        mention_id = db.execute("SELECT mention_id FROM drafts WHERE id = ?",
                                [draft_id]).fetchone()[0]
        db.execute("UPDATE mentions SET status = 'replied', replied_at = ? WHERE id = ?",
                   [to_iso(posted.posted_at), mention_id])
        audit.record(db, now, SYSTEM, "posted", mention_id=mention_id, draft_id=draft_id,
                     after=posted.platform_id)


def mark_retry(store: Store, draft_id: int, error: str, retry_at: datetime, now: datetime,
               *, owner: str = SYSTEM, counted: bool = True) -> None:
    """A failed attempt. The draft stays in ``posting`` (the reply may have gone out: a
    time-out after the platform accepted it), so the next try, at ``retry_at``, checks
    first. ``counted=False`` gives the attempt back (a 429: the platform took nothing).
    A lease that expired and passed to another process is left alone."""
    with store.atomic() as db:
        db.execute(
            "UPDATE drafts SET error = ?, next_attempt_at = ?, lease_owner = NULL,"
            " lease_until = NULL, attempts = attempts - ?, updated_at = ?"
            " WHERE id = ? AND status = 'posting' AND (lease_owner IS NULL OR lease_owner = ?)",
            [error, to_iso(retry_at), 0 if counted else 1, to_iso(now), draft_id, owner])


def mark_failed(store: Store, draft_id: int, now: datetime) -> None:
    """Attempts used up and the last check found no reply: an agent must look."""
    with store.atomic() as db:
        row = db.execute("SELECT mention_id, attempts FROM drafts WHERE id = ?"
                         " AND status = 'posting'", [draft_id]).fetchone()
        if row is None:
            return
        db.execute("UPDATE drafts SET status = 'failed', lease_owner = NULL, lease_until = NULL,"
                   " updated_at = ? WHERE id = ?", [to_iso(now), draft_id])
        audit.record(db, now, SYSTEM, "post failed", mention_id=row[0], draft_id=draft_id,
                     note=f"gave up after {row[1] - 1} attempts")


def pause_publishing(store: Store, source: str, until: datetime) -> None:
    """A 429 on posting: no draft of this source is tried before ``until``."""
    with store.atomic() as db:
        db.execute("UPDATE sources SET publish_paused_until = ? WHERE name = ?",
                   [to_iso(until), source])


def mark_refused(store: Store, draft_id: int, reason: str, manual_url: str | None,
                 now: datetime) -> None:
    """The platform refused for good; the agent gets the reason and a manual link."""
    with store.atomic() as db:
        mention_id = db.execute("SELECT mention_id FROM drafts WHERE id = ?",
                                [draft_id]).fetchone()[0]
        db.execute(
            "UPDATE drafts SET status = 'refused', error = ?, manual_url = ?, updated_at = ?,"
            " lease_owner = NULL, lease_until = NULL WHERE id = ?",
            [reason, manual_url or "", to_iso(now), draft_id])
        audit.record(db, now, SYSTEM, "post refused", mention_id=mention_id,
                     draft_id=draft_id, note=reason)


# --- what drafting reads ----------------------------------------------------------

def sent_to_author(store: Store, mention_id: int, since: datetime) -> list[str]:
    """Texts drafted for, approved for or sent to this mention's author since ``since``
    (rejected drafts excluded): the no-repeat rule's memory."""
    rows = store.query(
        "SELECT d.text FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " WHERE m.author_id = (SELECT author_id FROM mentions WHERE id = ?)"
        " AND d.status != 'rejected' AND d.created_at >= ?", [mention_id, to_iso(since)])
    return [r["text"] for r in rows]


def reply_in_thread(store: Store, mention_id: int) -> dict[str, Any] | None:
    """Our latest reply (approved or sent) in this mention's conversation to another
    mention: when, and the handle of whom it answered."""
    rows = store.query(
        "SELECT COALESCE(d.posted_at, d.approved_at) AS at, a.handle"
        " FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " JOIN authors a ON a.id = m.author_id"
        " WHERE d.status IN ('approved', 'posting', 'posted') AND m.id != ?"
        " AND m.conversation_id != '' AND m.conversation_id ="
        " (SELECT conversation_id FROM mentions WHERE id = ?) ORDER BY at DESC LIMIT 1",
        [mention_id, mention_id])
    return rows[0] if rows else None


def remembered(store: Store, brand: str, topic: str, since: datetime,
               limit: int = 500) -> list[dict[str, Any]]:
    """Approved replies on this brand's topic since ``since``, newest first."""
    return store.query(
        "SELECT * FROM reply_memory WHERE brand = ? AND topic = ? AND approved_at >= ?"
        " ORDER BY approved_at DESC LIMIT ?", [brand, topic, to_iso(since), limit])


def outcomes(store: Store) -> list[dict[str, Any]]:
    """Every draft an agent decided on, with what it offered: the acceptance figures'
    input."""
    rows = store.query(
        "SELECT template, first_text, text, options, status FROM drafts"
        " WHERE status IN ('approved', 'posting', 'posted', 'rejected', 'refused', 'failed')"
        " AND template NOT IN ('', ?) AND note != ?",  # closing a reminder judges no text,
        [REMINDER, CLOSED_NOTE])  # nor does closing a draft the customer made unneeded
    return [decode(r) for r in rows]


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


def counts_by_status(store: Store) -> dict[str, int]:
    rows = store.query("SELECT status, count(*) AS n FROM drafts GROUP BY status")
    return {r["status"]: r["n"] for r in rows}
