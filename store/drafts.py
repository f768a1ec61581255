"""Drafts and the agent actions on them; every change is audited in its transaction.
Their neighbours, by noun: claims (store/claims.py), publishing leases and outcomes
(store/publishing.py), follow-up reminders (store/reminders.py).

Approval is optimistic: the caller passes the draft ``version`` it showed the
agent, and an approve or edit of a draft a colleague changed since is refused.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from core.errors import ConflictError
from store import audit
from store.db import Store, decode, dumps
from store.outcomes import CLOSED_NOTE
from store.ranking import Ranking

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


def article_state(draft: dict[str, Any]) -> str:
    """Where a queue row's chosen article stands: "" (none chosen), "in" (its link is in
    the text), "left_out" (the first draft never carried it: cut to fit the platform's
    limit, or a template with no place for it; nothing was lost) or "dropped" (an edit
    deleted it: it will not be sent). ``article_url`` keeps the article chosen (the AI
    draft is given it), so the text says whether the draft carries it."""
    url = draft.get("article_url") or ""
    if not url:
        return ""
    if url in (draft.get("draft_text") or ""):
        return "in"
    return "dropped" if url in (draft.get("first_text") or "") else "left_out"


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
           t.complaint, t.needs_reply
    FROM drafts d JOIN mentions m ON m.id = d.mention_id
    JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id
"""


def pending(store: Store, limit: int = 200, ranking: Ranking | None = None,
            **filters: str) -> list[dict[str, Any]]:
    """Pending drafts, most urgent first: by the live priority when ``ranking`` is given
    (as the web inbox orders them), else by triage's stored priority. Filters: brand,
    platform, label, topic, claimed_by (exact values)."""
    allowed = {"brand": "m.brand", "platform": "m.platform", "label": "t.label",
               "topic": "t.topic", "claimed_by": "m.claimed_by"}
    where, params = ["d.status = 'pending'"], []
    for key, value in filters.items():
        if value:
            where.append(f"{allowed[key]} = ?")
            params.append(value)
    if ranking is not None:
        live, live_params = ranking.sql("q")
        order, order_params = ranking.order("q")
        rows = store.query(
            f"SELECT q.*, {live} AS live_priority FROM ({QUEUE_SELECT}"
            f" WHERE {' AND '.join(where)}) AS q ORDER BY {order} LIMIT ?",
            [*live_params, *params, *order_params, limit])
        return [ranking.applied(decode(r)) for r in rows]
    rows = store.query(
        f"{QUEUE_SELECT} WHERE {' AND '.join(where)}"
        " ORDER BY t.optional, t.priority DESC, m.created_at LIMIT ?",
        [*params, limit],
    )
    return [decode(r) for r in rows]


def get(store: Store, draft_id: int) -> dict[str, Any] | None:
    rows = store.query(f"{QUEUE_SELECT} WHERE d.id = ?", [draft_id])
    return decode(rows[0]) if rows else None


def _current(db: Database, draft_id: int) -> sqlite3.Row:
    row = db.execute(
        "SELECT d.status, d.version, d.text, d.mention_id, m.claimed_by FROM drafts d"
        " JOIN mentions m ON m.id = d.mention_id WHERE d.id = ?",
        [draft_id],
    ).fetchone()
    if row is None:
        raise ConflictError(f"draft {draft_id} does not exist")
    return row


def _check(row: sqlite3.Row, draft_id: int, actor: str, version: int, *,
           takeover: bool = False) -> None:
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


def _remember(db: Database, draft_id: int, actor: str, now: datetime) -> None:
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


# --- what drafting reads ----------------------------------------------------------

_CHUNK = 500  # ids per IN (...): well under SQLite's bound on parameters


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def sent_to_author(store: Store, mention_id: int, since: datetime) -> list[str]:
    """Texts drafted for, approved for or sent to this mention's author since ``since``
    (rejected drafts excluded): the no-repeat rule's memory."""
    author_of, sent = sent_to_authors(store, [mention_id], since)
    return sent.get(author_of.get(mention_id, -1), [])


def sent_to_authors(store: Store, mention_ids: list[int], since: datetime
                    ) -> tuple[dict[int, int], dict[int, list[str]]]:
    """``sent_to_author`` for a whole batch in one query per 500 mentions (the drafting
    stage asked once per row): each mention's author id, and per author the texts it
    was drafted, approved or sent since ``since``. Keyed by author so the caller can add
    the drafts it makes in the batch (a second mention of one author must not repeat the
    first one's sentences)."""
    author_of: dict[int, int] = {}
    sent: dict[int, list[str]] = {}
    reader: dict[int, int] = {}  # author -> the one mention whose rows list its texts
    for chunk in _chunks(mention_ids):
        marks = ", ".join("?" * len(chunk))
        for row in store.query(
                "SELECT q.id AS mention_id, q.author_id, d.text FROM mentions q"
                " LEFT JOIN mentions m ON m.author_id = q.author_id"
                " LEFT JOIN drafts d ON d.mention_id = m.id AND d.status != 'rejected'"
                f" AND d.created_at >= ? WHERE q.id IN ({marks})", [to_iso(since), *chunk]):
            author_of[row["mention_id"]] = row["author_id"]
            texts = sent.setdefault(row["author_id"], [])
            first = reader.setdefault(row["author_id"], row["mention_id"])
            if row["text"] is not None and row["mention_id"] == first:
                texts.append(row["text"])
    return author_of, sent


def reply_in_thread(store: Store, mention_id: int) -> dict[str, Any] | None:
    """Our latest reply (approved or sent) in this mention's conversation to another
    mention: when, and the handle of whom it answered."""
    return replies_in_threads(store, [mention_id]).get(mention_id)


def replies_in_threads(store: Store, mention_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``reply_in_thread`` for a batch in one query per 500 mentions: per mention whose
    conversation has one, our latest approved or sent reply to another mention in it."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(mention_ids):
        marks = ", ".join("?" * len(chunk))
        for row in store.query(
                "SELECT q.id AS mention_id, COALESCE(d.posted_at, d.approved_at) AS at,"
                " a.handle FROM mentions q"
                " JOIN mentions m ON m.conversation_id = q.conversation_id AND m.id != q.id"
                " JOIN drafts d ON d.mention_id = m.id JOIN authors a ON a.id = m.author_id"
                f" WHERE q.id IN ({marks}) AND q.conversation_id != ''"
                " AND d.status IN ('approved', 'posting', 'posted') ORDER BY at DESC", chunk):
            found.setdefault(row.pop("mention_id"), row)
    return found


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


