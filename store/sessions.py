"""Web sessions kept on the server, so that logging out, a new password, a disable
or a role change ends them at once (a copied cookie is worth nothing afterwards).

Only a SHA-256 of each session token is stored; the token lives in the cookie.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from store import audit
from store.db import Store


def create(store: Store, token_hash: str, user_id: int, now: datetime, expires: datetime,
           client: str) -> None:
    """Record a new session; expired ones are cleared on the way."""
    with store.atomic() as db:
        db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [to_iso(now)])
        db.execute(
            "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at, client)"
            " VALUES (?, ?, ?, ?, ?)",
            [token_hash, user_id, to_iso(now), to_iso(expires), client[:64]])


def user_for(store: Store, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The enabled account a live session belongs to, or None."""
    rows = store.query(
        "SELECT u.id, u.username, u.role FROM web_sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
        [token_hash, to_iso(now)])
    return rows[0] if rows else None


def revoke(store: Store, token_hash: str) -> None:
    with store.atomic() as db:
        db.execute("DELETE FROM web_sessions WHERE token_hash = ?", [token_hash])


def revoke_user(db: Database, user_id: int) -> int:
    """End every session of a user; call inside the transaction that changed them."""
    return db.execute("DELETE FROM web_sessions WHERE user_id = ?", [user_id]).rowcount


def live_counts(store: Store, now: datetime) -> dict[int, int]:
    """Open sessions per user id."""
    return {r["user_id"]: r["n"] for r in store.query(
        "SELECT user_id, count(*) AS n FROM web_sessions WHERE expires_at > ?"
        " GROUP BY user_id", [to_iso(now)])}


def end_all(store: Store, user_id: int, actor: str, now: datetime) -> int:
    """End every session of a user (a lost laptop, a copied cookie); audited."""
    with store.atomic() as db:
        ended = revoke_user(db, user_id)
        name = db.execute("SELECT username FROM users WHERE id = ?", [user_id]).fetchone()
        audit.record(db, now, actor, "sessions ended", before=name[0] if name else "",
                     after=str(ended))
        return ended
