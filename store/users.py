"""Web inbox accounts. Hashing happens in the caller (web.auth); only hashes are stored.

User names are NFKC-normalised, 1-64 characters, free of whitespace, control,
invisible and bidi characters, and unique regardless of case (``name_key``), so a
look-alike such as ``admin1\\u200b`` can neither be created nor shown as "admin1".
A change that ends a user's rights (disable, new password, new role) ends their
sessions in the same transaction; at least one enabled admin always remains.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import datetime
from typing import Any

from core.clock import to_iso
from core.errors import ConflictError, StoreError
from store import audit, sessions
from store.db import Store

ROLES = ("agent", "drafter", "viewer", "admin")
MAX_NAME = 64
_PUBLIC = "id, username, role, disabled, session_epoch, created_at, updated_at, last_login_at"


def clean_username(name: str) -> str:
    """The normalised name, or ValueError saying which rule it breaks."""
    name = unicodedata.normalize("NFKC", name)
    if not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"a user name has 1 to {MAX_NAME} characters")
    for ch in name:
        if ch.isspace() or unicodedata.category(ch)[0] in "CZ":
            raise ValueError(f"a user name cannot contain U+{ord(ch):04X} (space, control, "
                             "invisible or direction character)")
    return name


def name_key(name: str) -> str:
    """What must be unique: the normalised name without case."""
    return unicodedata.normalize("NFKC", name).casefold()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StoreError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


def add(store: Store, username: str, role: str, password_hash: str, now: datetime,
        actor: str = "cli") -> int:
    """Create an account; a taken name (any case) is a ConflictError."""
    _check_role(role)
    username = clean_username(username)
    with store.atomic() as db:
        try:
            user_id = db.execute(
                "INSERT INTO users (username, name_key, role, password_hash, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                [username, name_key(username), role, password_hash, to_iso(now), to_iso(now)],
            ).lastrowid
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"user {username!r} already exists") from exc
        audit.record(db, now, actor, "user added", after=f"{username} ({role})")
        return user_id


def get(store: Store, user_id: int) -> dict[str, Any] | None:
    rows = store.query(f"SELECT {_PUBLIC} FROM users WHERE id = ?", [user_id])
    return rows[0] if rows else None


def account(store: Store, username: str) -> dict[str, Any] | None:
    """The account of that name (any case), without its password hash; None if none."""
    rows = store.query(f"SELECT {_PUBLIC} FROM users WHERE name_key = ?", [name_key(username)])
    return rows[0] if rows else None


def credentials(store: Store, username: str) -> dict[str, Any] | None:
    """The row with its password hash, for the log-in check only."""
    rows = store.query(f"SELECT {_PUBLIC}, password_hash FROM users WHERE name_key = ?",
                       [name_key(username)])
    return rows[0] if rows else None


def all_users(store: Store) -> list[dict[str, Any]]:
    return store.query(f"SELECT {_PUBLIC} FROM users ORDER BY username")


def names(store: Store) -> list[str]:
    """Enabled accounts that may be assigned a mention."""
    return [r["username"] for r in store.query(
        "SELECT username FROM users WHERE disabled = 0 AND role != 'viewer' ORDER BY username")]


def count(store: Store) -> int:
    return store.query("SELECT count(*) AS n FROM users")[0]["n"]


def _update(store: Store, username: str, sql: str, params: list[Any], now: datetime,
            actor: str, action: str, after: str = "", *, removes_admin: bool = False) -> None:
    with store.atomic() as db:
        row = db.execute("SELECT id, username, role, disabled FROM users WHERE name_key = ?",
                         [name_key(username)]).fetchone()
        if row is None:
            raise StoreError(f"no user {username!r}")
        user_id, username, role, disabled = row
        if removes_admin and role == "admin" and not disabled:
            others = db.execute("SELECT count(*) FROM users WHERE role = 'admin'"
                                " AND disabled = 0 AND id != ?", [user_id]).fetchone()[0]
            if others == 0:
                raise ConflictError(f"{username} is the last active admin; "
                                    "make another admin first")
        db.execute(f"UPDATE users SET {sql}, updated_at = ? WHERE id = ?",
                   [*params, to_iso(now), user_id])
        sessions.revoke_user(db, user_id)
        audit.record(db, now, actor, action, before=username, after=after)


def set_disabled(store: Store, username: str, disabled: bool, now: datetime,
                 actor: str = "cli") -> None:
    """Disabling also ends the user's open sessions."""
    _update(store, username, "disabled = ?, session_epoch = session_epoch + 1",
            [int(disabled)], now, actor, "user disabled" if disabled else "user enabled",
            removes_admin=disabled)


def set_password(store: Store, username: str, password_hash: str, now: datetime,
                 actor: str = "cli") -> None:
    """A new password ends the user's open sessions."""
    _update(store, username, "password_hash = ?, session_epoch = session_epoch + 1",
            [password_hash], now, actor, "password reset")


def set_role(store: Store, username: str, role: str, now: datetime, actor: str = "cli") -> None:
    """A new role ends the user's sessions, so no page keeps rights it lost."""
    _check_role(role)
    _update(store, username, "role = ?, session_epoch = session_epoch + 1", [role], now,
            actor, "role changed", after=role, removes_admin=role != "admin")


def rehash(store: Store, user_id: int, password_hash: str) -> None:
    """Store a hash upgraded to current parameters after a successful log-in."""
    with store.atomic() as db:
        db.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])


def touch_login(store: Store, user_id: int, now: datetime) -> None:
    with store.atomic() as db:
        db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [to_iso(now), user_id])
