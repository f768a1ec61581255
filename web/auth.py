"""Passwords, sessions, the log-in throttle, CSRF tokens and roles for the web inbox.

The session cookie (Starlette's SessionMiddleware: signed with the session secret,
HttpOnly, SameSite=Lax, Secure when ``web.secure_cookie``) carries a random session
token and the CSRF token; the server keeps only the token's hash (store.sessions),
so logging out, a new password, a disable or a role change ends a session for good.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request

from config.secrets import secret
from pipeline.actions import PERMISSIONS, may
from store import sessions, users
from store.db import Store

log = logging.getLogger(__name__)

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte "password" is an attack
SESSION_HOURS = 12  # one working day
SECRET_FILE = "session_secret"
SWEEP_AT = 10_000  # throttle entries kept before expired ones are swept
# Password checks allowed to run at once: each argon2 check holds 64 MiB, so a burst of
# guesses must neither run in parallel past the throttle nor grow the server's memory.
MAX_CHECKS_PER_ACCOUNT = 2
MAX_CHECKS_PER_ADDRESS = 2
MAX_CHECKS = 4

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so timing does not reveal names.
    Made at the first log-in, not at import: one argon2 hash costs ~0.5 s and 64 MB,
    which every daemon start paid before it could say "daemon running"."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"a password has at most {MAX_PASSWORD} characters")
    return _hasher.hash(password)


def session_secret(data_dir: Path) -> str:
    """The cookie signing key: MENTIONDESK_SESSION_SECRET, else a random key made once
    and kept (mode 0600) in ``data_dir``, so a restart logs nobody out."""
    value = secret("MENTIONDESK_SESSION_SECRET")
    if value is not None:
        return value.get_secret_value()
    path = Path(data_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_urlsafe(32))
    log.info("made a session secret in %s (set MENTIONDESK_SESSION_SECRET to choose one)",
             path)
    return path.read_text(encoding="ascii").strip()


def name_digest(name: str, key: str) -> str:
    """What the log says about an attempted user name: a keyed hash, never the name
    (people type passwords into that box)."""
    return hmac.new(key.encode(), name.encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()[:12]


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    def can(self, permission: str) -> bool:
        return may(self.role, permission)

    @property
    def permissions(self) -> tuple[str, ...]:
        """What the role may do, for the page's keys: the page hides the buttons a role
        may not use, so app.js needs this to refuse their keys out loud instead of
        silently doing nothing."""
        return tuple(sorted(PERMISSIONS.get(self.role, frozenset())))


@dataclass
class _Window:
    times: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Attempt:
    """A password check under way: already counted as a failure until it succeeds."""

    account: str
    address: str
    at: float


class Refused(Exception):
    """A log-in attempt refused before its password is checked: ``busy`` when too many
    checks run at once (try again in a second), else ``throttled`` (too many failures)."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.reason, self.retry_after_s = reason, retry_after_s


class Throttle:
    """Slows password guessing without letting a stranger lock a colleague out.

    Failures are counted per client address (a sprayer trying one password on many
    names), per account and address (guessing one colleague's password), and per
    account from addresses the account has never logged in from (guessing from many
    addresses). The owner's own addresses stay open whatever strangers do; an admin
    can clear an account or an address.

    An attempt is counted when it starts (``begin``), before the slow hash, so guesses
    sent together are counted like guesses sent one by one; and only a few checks run
    at once (per account, per address and in all): the others are refused at once.
    """

    def __init__(self, now: Callable[[], datetime], *, per_address: int = 20,
                 per_account_address: int = 5, per_account: int = 50,
                 window_s: float = 900.0) -> None:
        self._now = now
        self.limits = {"address": per_address, "pair": per_account_address,
                       "account": per_account}
        self.window_s = window_s
        self._fails: dict[tuple[str, str], _Window] = {}
        self._trusted: dict[str, set[str]] = {}
        # Checks under way, by ("account", name) / ("address", ip); zero counts are
        # dropped so a burst of made-up names leaves nothing behind.
        self._running: dict[tuple[str, str], int] = {}
        self._running_total = 0
        self._lock = threading.Lock()

    def _keys(self, account: str, address: str) -> dict[str, tuple[str, str]]:
        return {"address": ("address", address), "pair": ("pair", f"{account}\n{address}"),
                "account": ("account", account)}

    def _recent(self, key: tuple[str, str], now: float) -> int:
        window = self._fails.get(key)
        if window is None:
            return 0
        window.times = [t for t in window.times if now - t < self.window_s]
        if not window.times:
            del self._fails[key]
        return len(window.times)

    def _blocked(self, account: str, address: str, now: float) -> bool:
        for kind, key in self._keys(account, address).items():
            if kind == "account" and address in self._trusted.get(account, set()):
                continue
            if self._recent(key, now) >= self.limits[kind]:
                return True
        return False

    def blocked(self, account: str, address: str) -> bool:
        """Whether this attempt is refused before the password is even checked."""
        now = self._now().timestamp()
        with self._lock:
            return self._blocked(account, address, now)

    def _record(self, account: str, address: str, now: float) -> None:
        if len(self._fails) > SWEEP_AT:  # names a sprayer made up and never retried
            for key in list(self._fails):
                self._recent(key, now)
        for key in self._keys(account, address).values():
            self._fails.setdefault(key, _Window()).times.append(now)

    def failed(self, account: str, address: str) -> None:
        now = self._now().timestamp()
        with self._lock:
            self._record(account, address, now)

    def begin(self, account: str, address: str) -> Attempt:
        """Counts an attempt as it starts (as a failure, until ``end`` says it succeeded)
        and holds one of the few password-check places; raises Refused when the
        throttle or the places say no. Every Attempt must reach ``end``."""
        now = self._now().timestamp()
        running = (("account", account), ("address", address))
        with self._lock:
            if self._blocked(account, address, now):
                raise Refused("throttled", int(self.window_s))
            if (self._running_total >= MAX_CHECKS
                    or self._running.get(running[0], 0) >= MAX_CHECKS_PER_ACCOUNT
                    or self._running.get(running[1], 0) >= MAX_CHECKS_PER_ADDRESS):
                raise Refused("busy", 1)
            self._record(account, address, now)
            for key in running:
                self._running[key] = self._running.get(key, 0) + 1
            self._running_total += 1
        return Attempt(account, address, now)

    def end(self, attempt: Attempt, ok: bool) -> None:
        """Frees the attempt's place; a success takes back the failure counted at its
        start and trusts the address for the account."""
        with self._lock:
            self._running_total -= 1
            for key in (("account", attempt.account), ("address", attempt.address)):
                left = self._running.get(key, 0) - 1
                if left > 0:
                    self._running[key] = left
                else:
                    self._running.pop(key, None)
            if ok:
                for key in (("address", attempt.address), ("account", attempt.account)):
                    window = self._fails.get(key)
                    if window is not None and attempt.at in window.times:
                        window.times.remove(attempt.at)
                self._succeeded(attempt.account, attempt.address)

    def _succeeded(self, account: str, address: str) -> None:
        self._fails.pop(("pair", f"{account}\n{address}"), None)
        self._trusted.setdefault(account, set()).add(address)

    def locked(self) -> dict[str, list[str]]:
        """What is refused now: {"accounts": [...], "addresses": [...]} (accounts by key)."""
        now = self._now().timestamp()
        accounts, addresses = set(), set()
        with self._lock:
            for key in list(self._fails):
                kind, value = key
                if self._recent(key, now) >= self.limits[kind]:
                    if kind == "address":
                        addresses.add(value)
                    else:
                        accounts.add(value.split("\n")[0])
        return {"accounts": sorted(accounts), "addresses": sorted(addresses)}

    def clear_account(self, account: str) -> None:
        with self._lock:
            for key in [k for k in self._fails
                        if k == ("account", account) or
                        (k[0] == "pair" and k[1].split("\n")[0] == account)]:
                del self._fails[key]

    def clear_address(self, address: str) -> None:
        with self._lock:
            self._fails.pop(("address", address), None)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the name and password match an enabled account. Slow on purpose
    (argon2): call it from a worker thread, never on the event loop."""
    try:
        row = users.credentials(store, users.clean_username(username))
    except ValueError:
        row = None
    try:
        _hasher.verify(row["password_hash"] if row else _dummy_hash(), password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row["disabled"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        users.rehash(store, row["id"], _hasher.hash(password))
    return User(row["id"], row["username"], row["role"])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(request: Request, store: Store, user: User, now: datetime,
                  client: str) -> None:
    """A fresh server-side session (and CSRF token) at log-in: a planted cookie is
    worthless, and the old session, if any, ends."""
    end_session(request, store)
    token = secrets.token_urlsafe(32)
    sessions.create(store, _token_hash(token), user.id, now,
                    now + timedelta(hours=SESSION_HOURS), client)
    request.session.update({"sid": token, "csrf": secrets.token_urlsafe(32)})


def end_session(request: Request, store: Store) -> None:
    token = request.session.get("sid")
    if isinstance(token, str):
        sessions.revoke(store, _token_hash(token))
    request.session.clear()


def current_user(request: Request, store: Store, now: datetime) -> User | None:
    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    row = sessions.user_for(store, _token_hash(token), now)
    if row is None:
        request.session.pop("sid", None)
        return None
    return User(row["id"], row["username"], row["role"])


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: Any) -> bool:
    """The token from the form field or the header matches the session's. Compared as
    bytes: a token in any script is a wrong token, not a 500."""
    expected = request.session.get("csrf")
    given = (form.get(CSRF_FIELD) if form is not None else None) or \
        request.headers.get(CSRF_HEADER) or ""
    return (isinstance(expected, str) and bool(expected) and isinstance(given, str)
            and hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace")))
