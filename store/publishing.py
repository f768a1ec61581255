"""Publishing: the lease a process holds while it posts a draft, the attempts, retries
and the post's outcome (posted, refused, failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clock import to_iso
from core.errors import StoreError
from core.reply import Posted
from store import audit
from store.db import Store
from store.drafts import SYSTEM

# Exactly once, whoever publishes: a process posts a draft only while it holds the
# draft's lease (owner and expiry, taken in one transaction). Every attempt is
# counted when the lease is taken, before any platform call (a check or a post), so
# a crash or a failed check counts too. A failed attempt sets ``next_attempt_at``
# (back-off) and writes no audit row: the audit gets one row per state change.

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

