"""Passwords, sessions, CSRF tokens and roles for the web inbox.

The session cookie (Starlette's SessionMiddleware: signed with the session secret,
HttpOnly, SameSite=Lax) holds only the user id, the user's ``session_epoch`` and the
CSRF token; a password reset or a disable moves the epoch and so ends every session.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from config.secrets import secret
from store import users
from store.db import Store

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_PASSWORD = 10

# What each role may do; admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "drafter": frozenset({"read", "edit", "claim", "skip"}),
    "agent": frozenset({"read", "edit", "claim", "skip", "approve", "reject"}),
    "admin": frozenset({"read", "edit", "claim", "skip", "approve", "reject", "users"}),
}

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal names.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def session_secret() -> tuple[str, bool]:
    """The cookie signing key and whether it is ephemeral.

    Without MENTIONDESK_SESSION_SECRET a random key is made per start: it works, but
    every restart logs everyone out.
    """
    value = secret("MENTIONDESK_SESSION_SECRET")
    if value is not None:
        return value.get_secret_value(), False
    log.warning("MENTIONDESK_SESSION_SECRET is not set: using a random key, "
                "web sessions end when the process restarts")
    return secrets.token_urlsafe(32), True


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())


class Throttle:
    """Slows password guessing: after ``limit`` failures for a name within ``window``
    seconds, further attempts for it are refused until the window passes."""

    def __init__(self, limit: int = 8, window: float = 300.0) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._fails.get(name.lower(), []) if now - t < self.window]
            self._fails[name.lower()] = recent
            return len(recent) >= self.limit

    def failed(self, name: str) -> None:
        with self._lock:
            self._fails.setdefault(name.lower(), []).append(time.monotonic())

    def reset(self, name: str) -> None:
        with self._lock:
            self._fails.pop(name.lower(), None)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the name and password match an enabled account."""
    row = users.credentials(store, username.strip())
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        users.rehash(store, row["id"], _hasher.hash(password))
    return User(row["id"], row["username"], row["role"])


def start_session(request: Request, user_id: int, epoch: int) -> None:
    """A fresh session (and CSRF token) at log-in, so a planted cookie is worthless."""
    request.session.clear()
    request.session.update({"uid": user_id, "epoch": epoch, "csrf": secrets.token_urlsafe(32)})


def current_user(request: Request, store: Store) -> User | None:
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    row = users.get(store, uid)
    if row is None or row["disabled"] or row["session_epoch"] != request.session.get("epoch"):
        request.session.clear()
        return None
    return User(row["id"], row["username"], row["role"])


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    """The token from the form field or the header matches the session's."""
    expected = request.session.get("csrf")
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)
