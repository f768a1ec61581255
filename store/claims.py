"""Claims: which agent is working on a mention (``mentions.claimed_by``). Taking one,
taking it over, giving it back and assigning it to a colleague all write the claim here,
through ``_hold``, each with its audit row in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from core.clock import to_iso
from core.errors import ConflictError
from store import audit
from store.db import Store


def _holder(db: Database, mention_id: int) -> str | None:
    row = db.execute("SELECT claimed_by FROM mentions WHERE id = ?", [mention_id]).fetchone()
    if row is None:
        raise ConflictError(f"mention {mention_id} does not exist")
    return row[0]


def _hold(db: Database, mention_id: int, who: str | None, now: datetime) -> None:
    """The one write of a claim: ``who`` holds the mention from ``now`` (None: nobody)."""
    db.execute("UPDATE mentions SET claimed_by = ?, claimed_at = ? WHERE id = ?",
               [who, to_iso(now) if who else None, mention_id])


def claim(store: Store, mention_id: int, actor: str, now: datetime,
          *, takeover: bool = False) -> None:
    """Mark the mention as the actor's; taking one from a colleague must be explicit."""
    with store.atomic() as db:
        holder = _holder(db, mention_id)
        if holder == actor:
            return
        if holder and not takeover:
            raise ConflictError(f"{holder} is working on this mention")
        _hold(db, mention_id, actor, now)
        audit.record(db, now, actor, "took over" if holder else "claimed",
                     mention_id=mention_id, before=holder or "", after=actor)


def release(store: Store, mention_id: int, actor: str, now: datetime) -> bool:
    """Give the actor's claim back; False when the actor held none."""
    with store.atomic() as db:
        row = db.execute("SELECT claimed_by FROM mentions WHERE id = ?", [mention_id]).fetchone()
        if row is None or row[0] != actor:
            return False
        _hold(db, mention_id, None, now)
        audit.record(db, now, actor, "released", mention_id=mention_id)
        return True


def assign(store: Store, mention_id: int, assignee: str, actor: str, now: datetime) -> str:
    """Give a mention to a colleague (the caller checked they may work on it); returns
    who had it before ('' for nobody)."""
    with store.atomic() as db:
        holder = _holder(db, mention_id)
        if holder == assignee:
            return assignee
        _hold(db, mention_id, assignee, now)
        audit.record(db, now, actor, "assigned", mention_id=mention_id, before=holder or "",
                     after=assignee)
        return holder or ""
