"""Read queries behind the web inbox: the attention queue (paged, searched, ranked with
the waiting time at read time), its filter counts, context, notes and label fixes.

The queue is wider than ``drafts.pending``: drafts the platform refused or that
failed for good need an agent too (to reply by hand), so they are listed beside the
pending ones. Approve, edit, reject and claim stay with the agent actions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError
from core.priority import NO_REPLY_SCALE
from store import audit
from store.db import Store, decode
from store.drafts import QUEUE_SELECT
from store.ranking import Ranking, by_priority

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
    # queued on low confidence (triage's unsure band) or not: agents sweep the doubtful
    "confidence": "CASE WHEN json_extract(t.factors, '$.unsure') IS NULL"
                  " THEN 'confident' ELSE 'unsure' END",
}
# How the list may be sorted (the list's column -> the SQL over the narrow rows ``q``);
# the default "priority" is priority now, then the longest waiting.
_PRIORITY = by_priority()
SORTS: dict[str, str] = {
    "priority": _PRIORITY,
    "waiting": "q.created_at, round(live_priority, 2) DESC",
    "platform": f"q.platform, {_PRIORITY}",
    "author": f"q.handle COLLATE NOCASE, {_PRIORITY}",
    "tone": f"CASE q.label WHEN 'negative' THEN 0 WHEN 'neutral' THEN 1 ELSE 2 END, {_PRIORITY}",
    "topic": f"q.topic, {_PRIORITY}",
    "outcome": f"q.draft_status, {_PRIORITY}",
    "assignee": f"coalesce(q.claimed_by, '~') COLLATE NOCASE, {_PRIORITY}",
}
SEARCH = "q"  # free-text filter: mention, draft, author handle or an internal note
SCOPE = "scope"  # "all": every draft whatever its state (answered, closed), for search
# Narrowing filters (web/filters.py checks them): since/until as stored UTC text, a
# half-open range on the mention's creation; author: a handle (any case).
NARROW: dict[str, str] = {
    "since": "m.created_at >= ?",
    "until": "m.created_at < ?",
    # through authors' ids: the mentions(author_id) index, not a scan of the range
    "author": "m.author_id IN (SELECT id FROM authors WHERE handle = ? COLLATE NOCASE)",
}
_FROM = (" FROM drafts d JOIN mentions m ON m.id = d.mention_id"
         " JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id")
CORRECTABLE = ("label", "topic", "needs_reply")  # triage columns an agent may correct


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(filters: dict[str, str], skip: str | tuple[str, ...] = ()) -> tuple[str, list[Any]]:
    marks = ", ".join("?" for _ in ATTENTION)
    # A refused draft leaves the queue once an agent replied by hand.
    clauses = [f"d.status IN ({marks})", "NOT (d.status != 'pending' AND m.status = 'replied')"]
    params: list[Any] = list(ATTENTION)
    if filters.get(SCOPE) == "all":
        clauses, params = ["1"], []
    for key, value in filters.items():
        if value and key in FACETS and key not in skip:
            clauses.append(f"{FACETS[key]} = ?")
            params.append(value)
    narrowing, more = narrow(filters)
    clauses += narrowing
    params += more
    if text := filters.get(SEARCH, "").strip():
        clauses.append(
            "(m.text LIKE ? ESCAPE '\\' OR d.text LIKE ? ESCAPE '\\'"
            " OR a.handle LIKE ? ESCAPE '\\' OR m.id IN (SELECT mention_id FROM"
            " mention_notes WHERE text LIKE ? ESCAPE '\\'))")
        params.extend([_like(text)] * 4)
    return " AND ".join(clauses), params


def narrow(filters: dict[str, str]) -> tuple[list[str], list[Any]]:
    """SQL clauses and parameters of the NARROW filters set in ``filters``."""
    keys = [k for k in NARROW if filters.get(k)]
    return [NARROW[k] for k in keys], [filters[k] for k in keys]


def queue(store: Store, filters: dict[str, str], ranking: Ranking, *,
          skipped: tuple[int, ...] = (), limit: int = 50, offset: int = 0,
          sort: str = "priority") -> list[dict[str, Any]]:
    """One page of drafts needing an agent: not skipped first, needed before optional
    thank-yous, higher priority now, then the longest waiting.

    Filters (exact values): brand, platform, sentiment, topic, status, assignee
    (``UNASSIGNED`` for nobody's), confidence (``confident`` or ``unsure``); ``q``
    searches text; ``since``/``until``/``author``
    narrow (NARROW). Each row's ``priority`` is the live one (``model_priority`` keeps
    triage's), ``factors["waiting"]`` likewise.
    The order is found on narrow rows first, so a deep page costs no more than the first.
    ``sort`` (a SORTS key) orders by another column of the list, priority breaking ties.
    """
    order = SORTS.get(sort, SORTS["priority"])
    where, params = _where(filters)
    live, live_params = ranking.sql()
    skipped = tuple(skipped)[:500]
    skip_sql = f"q.draft_id IN ({', '.join('?' for _ in skipped)})" if skipped else "0"
    ordered = store.query(
        f"SELECT q.draft_id, {live} AS live_priority, {skip_sql} AS skipped FROM"
        " (SELECT d.id AS draft_id, t.priority, t.factors, t.optional, t.needs_reply,"
        " m.created_at, m.platform, a.handle, t.label, t.topic, d.status AS draft_status,"
        " m.claimed_by"
        f"{_FROM} WHERE {where}) AS q"
        f" ORDER BY skipped, q.optional, {order}, q.draft_id"
        " LIMIT ? OFFSET ?",
        [*live_params, *skipped, *params, limit, offset],
    )
    if not ordered:
        return []
    marks = ", ".join("?" for _ in ordered)
    full = {r["draft_id"]: decode(r) for r in store.query(
        f"{QUEUE_SELECT} WHERE d.id IN ({marks})", [r["draft_id"] for r in ordered])}
    return [ranking.applied({**full[r["draft_id"]], "live_priority": r["live_priority"],
                             "skipped": r["skipped"]})
            for r in ordered if r["draft_id"] in full]


def item(store: Store, draft_id: int, ranking: Ranking) -> dict[str, Any] | None:
    """One queue row (for re-drawing a single item), or None once it left the queue."""
    where, params = _where({})
    live, live_params = ranking.sql()
    rows = store.query(
        f"SELECT q.*, {live} AS live_priority FROM ({QUEUE_SELECT} WHERE {where}"
        " AND d.id = ?) AS q", [*live_params, *params, draft_id])
    return ranking.applied(decode(rows[0])) if rows else None


def facet_counts(store: Store, filters: dict[str, str]
                 ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """How many items the filters show, and for each filter its values with how many
    items each would show given the other filters (so a count never promises what
    the list will not show). One grouped pass over the attention set."""
    where, params = _where(filters, skip=tuple(FACETS))
    columns = ", ".join(f"{column} AS {name}" for name, column in FACETS.items())
    combos = store.query(
        f"SELECT {columns}, count(*) AS n{_FROM} WHERE {where}"
        f" GROUP BY {', '.join(str(i + 1) for i in range(len(FACETS)))}", params)
    active = {k: v for k, v in filters.items() if v and k in FACETS}
    tallies: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    total = 0
    for row in combos:
        misses = [k for k, v in active.items() if str(row[k]) != v]
        if not misses:
            total += row["n"]
        for name in FACETS:
            if not misses or misses == [name]:
                value = str(row[name])
                tallies[name][value] = tallies[name].get(value, 0) + row["n"]
    counts = {name: sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))
              for name, t in tallies.items()}
    return total, counts


def alerts(store: Store, ranking: Ranking, since: datetime, *, high: float,
           warn_minutes: int) -> dict[str, int]:
    """What an open inbox should announce: items drafted since ``since`` whose live
    priority is at least ``high``, and pending items whose SLA breaks within
    ``warn_minutes``."""
    where, params = _where({})
    live, live_params = ranking.sql()
    breach_from = ranking.now - timedelta(minutes=ranking.sla_minutes)
    row = store.query(
        f"SELECT sum(q.drafted_at > ? AND {live} >= ?) AS new_high,"
        " sum(q.draft_status = 'pending' AND q.created_at > ? AND q.created_at <= ?)"
        f" AS sla_soon FROM ({QUEUE_SELECT} WHERE {where}) AS q",
        [to_iso(since), *live_params, high, to_iso(breach_from),
         to_iso(breach_from + timedelta(minutes=warn_minutes)), *params])[0]
    return {"new_high": row["new_high"] or 0, "sla_soon": row["sla_soon"] or 0}


def add_note(store: Store, mention_id: int, author: str, text: str, now: datetime) -> None:
    """An internal note for colleagues; never posted anywhere."""
    with store.atomic() as db:
        if db.execute("SELECT 1 FROM mentions WHERE id = ?", [mention_id]).fetchone() is None:
            raise ConflictError(f"mention {mention_id} does not exist")
        db.execute("INSERT INTO mention_notes (mention_id, author, text, created_at)"
                   " VALUES (?, ?, ?, ?)", [mention_id, author, text, to_iso(now)])
        audit.record(db, now, author, "note", mention_id=mention_id, note=text)


def notes(store: Store, mention_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Internal notes per mention, oldest first."""
    if not mention_ids:
        return {}
    marks = ", ".join("?" for _ in mention_ids)
    found: dict[int, list[dict[str, Any]]] = {}
    for row in store.query(f"SELECT * FROM mention_notes WHERE mention_id IN ({marks})"
                           " ORDER BY id", mention_ids):
        found.setdefault(row["mention_id"], []).append(row)
    return found


def correct_label(store: Store, mention_id: int, field: str, value: str, actor: str,
                  now: datetime) -> bool:
    """An agent's correction of the model's tone (``label``), ``topic`` or
    ``needs_reply``: kept in ``label_corrections`` (with what the model said, for
    training) and applied to the triage row. False when nothing changed."""
    if field not in CORRECTABLE:
        raise ConflictError(f"{field!r} cannot be corrected")
    column = field
    with store.atomic() as db:
        row = db.execute(f"SELECT {column} FROM triage WHERE mention_id = ?",
                         [mention_id]).fetchone()
        if row is None:
            raise ConflictError(f"mention {mention_id} has not been triaged")
        current = str(row[0])
        if current == value:
            return False
        _correction(db, mention_id, field, current, value, actor, now)
        db.execute(f"UPDATE triage SET {column} = ? WHERE mention_id = ?", [value, mention_id])
        return True


def _correction(db: Any, mention_id: int, field: str, current: str, value: str, actor: str,
                now: datetime) -> None:
    """One row of ``label_corrections`` (what the model first said, for training) and
    its audit entry."""
    first = db.execute("SELECT model_value FROM label_corrections WHERE mention_id = ?"
                       " AND field = ? ORDER BY id LIMIT 1", [mention_id, field]).fetchone()
    db.execute("INSERT INTO label_corrections (mention_id, field, model_value, value,"
               " actor, at) VALUES (?, ?, ?, ?, ?, ?)",
               [mention_id, field, first[0] if first else current, value, actor,
                to_iso(now)])
    audit.record(db, now, actor, "label corrected", mention_id=mention_id,
                 before=f"{field}={current}", after=f"{field}={value}")


MISSED_REASON = "an agent: needs a reply"


def queue_missed(store: Store, mention_id: int, actor: str, now: datetime) -> bool:
    """A mention that left without a draft needs a reply after all, in one transaction:
    one triage let go gets the agent's correction (needs_reply 0 -> 1, what ``model
    adapt`` learns a miss from) and the priority triage gave it before sinking it as
    needing no reply (``core.priority``); one the responder's words held back (spam,
    scam or abuse words, a second reply in a thread: the model was right) only goes
    back. Both are marked queued by hand (``queued_by_hand``: the drafting stage holds
    nothing back then; the reason the inbox shows becomes ``MISSED_REASON``) and wait for
    a draft. Refused (ConflictError) for a mention not triaged, waiting or answered,
    removed by the platform, or with a draft of its own (its history is in the queue and
    the audit). True when it was the model's miss."""
    with store.atomic() as db:
        row = db.execute(
            "SELECT m.status, m.redacted_at, t.needs_reply,"
            " EXISTS (SELECT 1 FROM drafts d WHERE d.mention_id = m.id) AS drafted"
            " FROM mentions m LEFT JOIN triage t ON t.mention_id = m.id WHERE m.id = ?",
            [mention_id]).fetchone()
        if row is None:
            raise ConflictError(f"mention {mention_id} does not exist")
        status, redacted, needs, drafted = row
        if redacted:
            raise ConflictError("the post was removed from the platform")
        if needs is None:
            raise ConflictError("the model has not seen it yet")
        if drafted or status != "no_action":
            raise ConflictError(f"it did not leave without a draft (status {status})")
        if needs:
            audit.record(db, now, actor, "queued by hand", mention_id=mention_id,
                         before="held without a draft", after="needs a reply")
        else:
            _correction(db, mention_id, "needs_reply", "0", "1", actor, now)
            db.execute("UPDATE triage SET needs_reply = 1, optional = 0,"
                       " priority = MIN(1.0, priority * ?) WHERE mention_id = ?",
                       [1 / NO_REPLY_SCALE, mention_id])
        db.execute("UPDATE triage SET reason = ?, queued_by_hand = 1 WHERE mention_id = ?",
                   [MISSED_REASON, mention_id])
        db.execute("UPDATE mentions SET status = 'needs_reply' WHERE id = ?", [mention_id])
        return not needs


def corrections(store: Store, mention_ids: list[int]) -> dict[int, dict[str, str]]:
    """Per mention, the fields agents corrected and what the model had said."""
    if not mention_ids:
        return {}
    marks = ", ".join("?" for _ in mention_ids)
    found: dict[int, dict[str, str]] = {}
    for row in store.query(f"SELECT mention_id, field, model_value FROM label_corrections"
                           f" WHERE mention_id IN ({marks}) ORDER BY id DESC", mention_ids):
        found.setdefault(row["mention_id"], {})[row["field"]] = row["model_value"]
    return found


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


def customer(store: Store, mention_id: int, limit: int = 6) -> dict[str, Any]:
    """The customer behind a mention, for the inbox's customer panel: how many times
    they wrote to us, and their latest other mentions with how each ended (the
    mention's status, the last draft's state, our posted reply) and their notes."""
    rows = store.query(
        "WITH this AS (SELECT author_id FROM mentions WHERE id = ?)"
        " SELECT m.id, m.created_at, m.text, m.status, m.url, m.redacted_at, t.label,"
        " t.topic, (SELECT d.text FROM drafts d WHERE d.mention_id = m.id"
        "   AND d.status = 'posted' ORDER BY d.id DESC LIMIT 1) AS reply,"
        " (SELECT d.status FROM drafts d WHERE d.mention_id = m.id"
        "   ORDER BY d.id DESC LIMIT 1) AS draft_status,"
        " (SELECT count(*) FROM mention_notes n WHERE n.mention_id = m.id) AS notes"
        " FROM mentions m JOIN this ON m.author_id = this.author_id"
        " LEFT JOIN triage t ON t.mention_id = m.id"
        " WHERE m.id != ? ORDER BY m.created_at DESC, m.id DESC LIMIT ?",
        [mention_id, mention_id, limit])
    total = store.query(
        "SELECT count(*) AS n FROM mentions WHERE author_id ="
        " (SELECT author_id FROM mentions WHERE id = ?)", [mention_id])[0]["n"]
    return {"mentions": total, "earlier": rows}
