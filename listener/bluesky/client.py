"""One logged-in ``atproto.Client`` per account, and the SDK's errors in our terms.

Shared by the Bluesky source and publisher of one account, so a process logs in once:
``createSession`` is limited to 30 per 5 minutes and 300 a day per handle. After that
the session is refreshed, never re-created: the SDK refreshes the access token ahead
of its expiry (on mentiondesk's clock, injected below), and an ``ExpiredToken`` answer
(the PDS sends it with status 400) refreshes and repeats the call once. Only when the
refresh token itself is refused does the client log in again.

Rate limits: an answer that says ``ratelimit-remaining: 0`` stops further calls of that
XRPC method here (``RateLimited``) until its ``ratelimit-reset``, so a spent budget ends a
poll without a 429; a 429 itself becomes ``RateLimited`` too.

atproto and httpx exceptions are caught here and nowhere else. ``_KINDS`` classifies
them; reads become ``core.errors`` types (transient failures are retried with backoff
first), a write whose outcome is unknown becomes ``AmbiguousWrite`` and is never
repeated here: the publisher checks whether it went out.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from atproto import Client, Session
from atproto_client.exceptions import (
    InvokeTimeoutError,
    LoginRequiredError,
    ModelError,
    RateLimitExceededError,
    RequestErrorBase,
)
from atproto_client.request import Request
from atproto_core.exceptions import AtProtocolError
from pydantic import SecretStr

from config.secrets import secret
from core.backoff import RetryPolicy
from core.clock import Clock
from core.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from listener.bluesky.settings import BlueskySourceSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
RATE_WINDOW = timedelta(minutes=5)  # Bluesky counts in 5-minute windows (a 429 without reset)


# What the SDK raises: its own errors, httpx's it does not wrap, and ValueError for a body
# that is not JSON (pydantic_core's from_json).
_VENDOR_ERRORS = (AtProtocolError, httpx.HTTPError, ValueError)


class AmbiguousWrite(Exception):
    """A write whose outcome is unknown (5xx, time-out, lost connection): it may be posted."""


@dataclass(frozen=True)
class Failure:
    """What an SDK exception means for us."""

    kind: str  # one of _KINDS' values, or "network" / "malformed"
    message: str
    reset_at: datetime | None = None


# The error table: XRPC error name or HTTP status -> kind. Names win over statuses.
_KINDS: dict[str | int, str] = {
    "ExpiredToken": "expired",  # refresh the session and repeat the call once
    "InvalidToken": "relogin",  # the session was revoked: log in again, once
    "AuthenticationRequired": "auth",  # wrong handle or app password
    "AccountTakedown": "auth",
    "AccountDeactivated": "auth",
    "RateLimitExceeded": "rate",
    401: "auth", 403: "auth",
    429: "rate",
    400: "refused",  # a bad parameter or an invalid record: repeating cannot help
    404: "refused",
    409: "network", 413: "network",  # the SDK's "worth retrying" statuses
    500: "network", 502: "network", 503: "network", 504: "network",
}


def classify(exc: Exception, clock: Clock) -> Failure:
    """The kind of an atproto/httpx failure, with a one-line message and a reset time."""
    if isinstance(exc, ModelError | ValueError):
        return Failure("malformed", f"unreadable answer ({type(exc).__name__}: "
                                    f"{str(exc)[:160]})")
    if isinstance(exc, InvokeTimeoutError | httpx.TimeoutException):
        return Failure("network", "no answer in time")
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return Failure("network", f"no answer ({type(exc).__name__})")
    status = exc.response.status_code
    content = exc.response.content
    name = str(getattr(content, "error", "") or "")
    message = f"{status} {name}: {getattr(content, 'message', '') or ''}".rstrip(": ")
    kind = _KINDS.get(name) or _KINDS.get(status) or ("network" if status >= 500 else "refused")
    reset_at = None
    if kind == "rate":
        reset_at = exc.reset_at if isinstance(exc, RateLimitExceededError) else None
        if reset_at is None or reset_at <= clock.now():
            reset_at = clock.now() + RATE_WINDOW
    return Failure(kind, message, reset_at)


class _ClockedClient(Client):
    """atproto's client on mentiondesk's clock: token refresh and ``createdAt`` follow it."""

    def __init__(self, base_url: str, clock: Clock, timeout: float,
                 on_request: Callable[[httpx.Request], None],
                 on_response: Callable[[httpx.Response], None]) -> None:
        # A proxy from the environment would capture loopback sandbox calls too.
        local = (urlsplit(base_url).hostname or "") in ("127.0.0.1", "localhost", "::1")
        hooks = {"request": [on_request], "response": [on_response]}
        super().__init__(base_url, request=Request(timeout=timeout, trust_env=not local,
                                                   event_hooks=hooks))
        self._clock = clock

    def get_current_time(self) -> datetime:
        return self._clock.now()


@dataclass(frozen=True)
class Credentials:
    handle: str
    app_password: SecretStr

    @classmethod
    def from_env(cls) -> Credentials:
        """From MENTIONDESK_BLUESKY_* (config/secrets.py); AuthError names what is missing."""
        handle = secret("MENTIONDESK_BLUESKY_HANDLE")
        password = secret("MENTIONDESK_BLUESKY_APP_PASSWORD")
        missing = [name for name, value in (("MENTIONDESK_BLUESKY_HANDLE", handle),
                                            ("MENTIONDESK_BLUESKY_APP_PASSWORD", password))
                   if value is None]
        if missing:
            raise AuthError(f"bluesky: {' and '.join(missing)} not set in the environment")
        assert handle is not None and password is not None
        return cls(handle.get_secret_value().lstrip("@"), password)


class BlueskyClient:
    """A logged-in atproto client for one account; thread-safe, one call at a time."""

    def __init__(self, settings: BlueskySourceSettings, clock: Clock, *,
                 credentials: Credentials | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None) -> None:
        self.settings, self.clock = settings, clock
        # Reads retry through the one back-off (core.backoff), uncapped as before.
        self.retry = RetryPolicy(retries=settings.max_retries, backoff=settings.backoff_seconds,
                                 max_backoff=math.inf, sleep=sleep,
                                 rng=rng or random.Random())
        self._credentials = credentials
        self.calls = 0  # HTTP requests made, for polls' request counts
        self._spent: dict[str, datetime] = {}  # XRPC method -> its rate window's reset
        self.lock = threading.RLock()
        self.client = self._new_client()
        self.did = ""
        self.handle = ""
        self._login_blocked_until: datetime | None = None

    def _new_client(self) -> _ClockedClient:
        return _ClockedClient(self.settings.service_url, self.clock,
                              self.settings.timeout_seconds, self._before, self._after)

    def _before(self, request: httpx.Request) -> None:
        """Count the request, or refuse it here while its method's budget is spent."""
        spent_until = self._spent.get(request.url.path.rsplit("/", 1)[-1])
        if spent_until and spent_until > self.clock.now():
            raise RateLimited(f"bluesky: no requests left until {spent_until:%H:%M:%S} UTC "
                              "(ratelimit-remaining 0)", spent_until)
        self.calls += 1

    def _after(self, response: httpx.Response) -> None:
        """Remember a method whose answer says its rate budget is spent, until the reset."""
        nsid = response.request.url.path.rsplit("/", 1)[-1]
        try:
            remaining = int(response.headers.get("ratelimit-remaining", ""))
            reset = datetime.fromtimestamp(int(response.headers.get("ratelimit-reset", "")), UTC)
        except ValueError:
            return
        if remaining <= 0 and response.status_code < 300:
            self._spent[nsid] = reset
        else:
            self._spent.pop(nsid, None)

    # -- session --

    def login(self) -> None:
        """Log in unless a session exists; RateLimited while createSession is refused."""
        with self.lock:
            if self.did:
                return
            now = self.clock.now()
            if self._login_blocked_until and now < self._login_blocked_until:
                raise RateLimited("bluesky: logging in is rate limited until "
                                  f"{self._login_blocked_until:%H:%M:%S} UTC",
                                  self._login_blocked_until)
            credentials = self._credentials or Credentials.from_env()
            self.client = self._new_client()
            try:
                session = self.client.login(credentials.handle,
                                            credentials.app_password.get_secret_value(),
                                            fetch_bsky_profile=False)
                del session  # None without the profile lookup; the session is on the client
                current = Session.decode(self.client.export_session_string())
            except _VENDOR_ERRORS as exc:
                failure = classify(exc, self.clock)
                if failure.kind == "rate":
                    self._login_blocked_until = failure.reset_at
                    assert failure.reset_at is not None
                    raise RateLimited(f"bluesky: login refused, rate limited ({failure.message})",
                                      failure.reset_at) from None
                if failure.kind in ("auth", "refused", "relogin", "expired"):
                    raise AuthError(f"bluesky: login as {credentials.handle} refused "
                                    f"({failure.message}); check the handle and app password"
                                    ) from None
                raise SourceUnavailable(f"bluesky: cannot log in: {failure.message}") from None
            self.did, self.handle = current.did, current.handle
            log.info("bluesky: logged in as %s (%s)", self.handle, self.did)

    def _refresh(self) -> None:
        """A new access token from the refresh token; a refused refresh logs in again."""
        current = Session.decode(self.client.export_session_string())
        try:
            answer = self.client.com.atproto.server.refresh_session(
                headers={"Authorization": f"Bearer {current.refresh_jwt}"},
                ignore_session_check=True)
        except _VENDOR_ERRORS as exc:
            failure = classify(exc, self.clock)
            if failure.kind not in ("expired", "relogin", "auth", "refused"):
                raise _error("bluesky: refreshing the session", failure) from None
            log.info("bluesky: session refresh refused (%s); logging in again", failure.message)
            self.did = ""
            self.login()
            return
        renewed = Session(answer.handle, answer.did, answer.access_jwt, answer.refresh_jwt,
                          current.pds_endpoint)
        self.client.login(session_string=renewed.encode(), fetch_bsky_profile=False)
        log.info("bluesky: session refreshed for %s", self.handle)

    # -- calls --

    def read(self, what: str, fn: Callable[[Client], T]) -> T:
        """``fn(client)`` logged in, transient failures retried; raises SourceError types."""
        return self.retry.run(lambda: self._once(what, fn), _Transient, what,
                              SourceUnavailable, logger=log)

    def write(self, what: str, fn: Callable[[Client], T]) -> T:
        """``fn(client)`` once; AmbiguousWrite when it may have happened unanswered."""
        try:
            return self._once(what, fn)
        except (_Transient, MalformedResponse) as exc:
            raise AmbiguousWrite(f"{what}: {exc}") from None

    def _once(self, what: str, fn: Callable[[Client], T]) -> T:
        with self.lock:
            self.login()
            for attempt in (0, 1):
                try:
                    return fn(self.client)
                except LoginRequiredError:
                    self.did = ""
                    self.login()
                    continue
                except _VENDOR_ERRORS as exc:
                    failure = classify(exc, self.clock)
                    if failure.kind in ("expired", "relogin") and attempt == 0:
                        if failure.kind == "expired":
                            self._refresh()
                        else:
                            self.did = ""
                            self.login()
                        continue
                    raise _error(what, failure) from None
            raise AuthError(f"{what}: the session was refused again after renewing it")


class _Transient(SourceUnavailable):
    """Internal: worth retrying (5xx, time-out, lost connection)."""


def _error(what: str, failure: Failure) -> SourceError:
    message = f"{what}: Bluesky answered {failure.message}"
    if failure.kind == "rate":
        assert failure.reset_at is not None
        return RateLimited(f"{what}: rate limited until {failure.reset_at:%H:%M:%S} UTC",
                           failure.reset_at)
    if failure.kind in ("auth", "expired", "relogin"):
        return AuthError(message)
    if failure.kind == "network":
        return _Transient(failure.message)
    if failure.kind == "malformed":
        return MalformedResponse(f"{what}: {failure.message}")
    return Refused(message)


class Refused(SourceError):
    """Bluesky refused the request for good (400/404): a parameter, a record, a gone post."""


_SHARED: dict[tuple[str, str], BlueskyClient] = {}
_SHARED_LOCK = threading.Lock()


def shared_client(settings: BlueskySourceSettings, clock: Clock) -> BlueskyClient:
    """The one client per (service, handle): source and publisher share its session."""
    handle = secret("MENTIONDESK_BLUESKY_HANDLE")
    key = (settings.service_url, handle.get_secret_value() if handle else "")
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = BlueskyClient(settings, clock)
        return _SHARED[key]


def as_dict(model: Any) -> dict[str, Any]:
    """An SDK model as the JSON Bluesky sent (camelCase keys), for ``Mention.raw``."""
    from atproto_client.models.utils import get_model_as_dict

    return get_model_as_dict(model) if model is not None else {}
