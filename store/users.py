"""Web inbox accounts. Hashing happens in the caller (web.auth); only hashes are stored."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError, StoreError
from store import audit
from store.db import Store

ROLES = ("agent", "drafter", "viewer", "admin")
_PUBLIC = "id, username, role, disabled, session_epoch, created_at, updated_at, last_login_at"


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


def add(store: Store, username: str, role: str, password_hash: str, now: datetime,
        actor: str = "cli") -> int:
    """Create an account; a taken name (any case) is a ConflictError."""
    _check_role(role)
    with store.atomic() as db:
        try:
            user_id = db.execute(
                "INSERT INTO users (username, role, password_hash, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [username, role, password_hash, to_iso(now), to_iso(now)],
            ).lastrowid
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"user {username!r} already exists") from exc
        audit.record(db, now, actor, "user added", after=f"{username} ({role})")
        return user_id


def get(store: Store, user_id: int) -> dict[str, Any] | None:
    rows = store.query(f"SELECT {_PUBLIC} FROM users WHERE id = ?", [user_id])
    return rows[0] if rows else None


def credentials(store: Store, username: str) -> dict[str, Any] | None:
    """The row with its password hash, for the log-in check only."""
    rows = store.query(f"SELECT {_PUBLIC}, password_hash FROM users WHERE username = ?",
                       [username])
    return rows[0] if rows else None


def all_users(store: Store) -> list[dict[str, Any]]:
    return store.query(f"SELECT {_PUBLIC} FROM users ORDER BY username")


def count(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM users")[0]["n"]


def _update(store: Store, username: str, sql: str, params: list[Any], now: datetime,
            actor: str, action: str, after: str = "") -> None:
    with store.atomic() as db:
        cur = db.execute(f"UPDATE users SET {sql}, updated_at = ? WHERE username = ?",
                         [*params, to_iso(now), username])
        if cur.rowcount == 0:
            raise StoreError(f"no user {username!r}")
        audit.record(db, now, actor, action, before=username, after=after)


def set_disabled(store: Store, username: str, disabled: bool, now: datetime,
                 actor: str = "cli") -> None:
    """Disabling also ends the user's open sessions (the epoch moves)."""
    _update(store, username, "disabled = ?, session_epoch = session_epoch + 1",
            [int(disabled)], now, actor, "user disabled" if disabled else "user enabled")


def set_password(store: Store, username: str, password_hash: str, now: datetime,
                 actor: str = "cli") -> None:
    """A new password ends the user's open sessions."""
    _update(store, username, "password_hash = ?, session_epoch = session_epoch + 1",
            [password_hash], now, actor, "password reset")


def set_role(store: Store, username: str, role: str, now: datetime, actor: str = "cli") -> None:
    _check_role(role)
    _update(store, username, "role = ?", [role], now, actor, "role changed", after=role)


def rehash(store: Store, user_id: int, password_hash: str) -> None:
    """Store a hash upgraded to current parameters after a successful log-in."""
    with store.atomic() as db:
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])


def touch_login(store: Store, user_id: int, now: datetime) -> None:
    with store.atomic() as db:
        db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [to_iso(now), user_id])
