"""One configured ``praw.Reddit`` per set of credentials, and praw's errors in our terms.

Shared by the Reddit source and publisher: Reddit counts its rate budget per client
id, and prawcore keeps one budget per ``praw.Reddit`` instance, so both must use the
same instance (and take turns: praw objects are not made for concurrent use).

What this module guarantees the daemon:
- praw never sleeps for minutes inside a job: ``ratelimit_seconds`` is small, a spent
  rate budget raises ``RateLimited`` *before* prawcore would sleep until the reset, and
  ``check_for_updates`` is off (no PyPI call).
- prawcore never retries a write (``POST /api/comment/``): a 5xx or a lost connection
  after Reddit may already have posted the reply becomes ``AmbiguousWrite``; the caller
  checks the thread (``find_posted``) instead of posting twice.
- praw and prawcore exceptions never leave this package: ``source_error`` and
  ``publish_error`` turn them into ``core.errors`` types with one clear line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

import praw
import prawcore
import requests
from praw.exceptions import ClientException, PRAWException, RedditAPIException
from pydantic import SecretStr

from config.secrets import secret
from core.clock import Clock
from core.errors import (
    AuthError,
    MalformedResponse,
    PostGone,
    PublishError,
    PublishRateLimited,
    PublishRefused,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from listener.reddit.settings import RedditSourceSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
APP_VERSION = "0.1.0"
_TOKEN_PATH = "/api/v1/access_token"
# Reddit API errors after which posting the same reply again can never succeed.
_RETRYABLE_API_ERRORS = {"RATELIMIT", "SOMETHING_IS_BROKEN"}
# Reddit API errors that mean the post answered is gone (its stored copy is redacted).
_GONE_API_ERRORS = {"DELETED_LINK", "DELETED_COMMENT"}


class AmbiguousWrite(Exception):
    """A write whose outcome is unknown: Reddit may or may not have posted it."""


@dataclass(frozen=True)
class RedditCredentials:
    """A script app's credentials; username/password are absent in read-only mode."""

    client_id: str
    client_secret: SecretStr
    username: str = ""
    password: SecretStr | None = None

    @classmethod
    def from_env(cls) -> RedditCredentials:
        """From MENTIONDESK_REDDIT_* (config/secrets.py); AuthError names what is missing."""
        client_id, client_secret = (secret("MENTIONDESK_REDDIT_CLIENT_ID"),
                                    secret("MENTIONDESK_REDDIT_CLIENT_SECRET"))
        missing = [n for n, v in (("MENTIONDESK_REDDIT_CLIENT_ID", client_id),
                                  ("MENTIONDESK_REDDIT_CLIENT_SECRET", client_secret)) if not v]
        if missing:
            raise AuthError(f"reddit: {' and '.join(missing)} not set in the environment")
        assert client_id is not None and client_secret is not None
        username = secret("MENTIONDESK_REDDIT_USERNAME")
        return cls(client_id.get_secret_value(), client_secret,
                   username.get_secret_value() if username else "",
                   secret("MENTIONDESK_REDDIT_PASSWORD"))

    @property
    def user_mode(self) -> bool:
        return bool(self.username and self.password)


class _RateState:
    """What the last answers said about the rate budget, in the injected clock's time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls = 0
        self.remaining: float | None = None
        self.reset_at: datetime | None = None

    def saw(self, response: requests.Response) -> None:
        headers = response.headers
        if "x-ratelimit-remaining" not in headers:
            return
        try:
            self.remaining = float(headers["x-ratelimit-remaining"])
            reset = float(headers.get("x-ratelimit-reset", "0"))
        except ValueError:
            return
        self.reset_at = self.clock.now() + timedelta(seconds=reset)


class _Requestor(prawcore.Requestor):
    """prawcore's requestor, plus call counting, rate tracking and no retried writes."""

    def __init__(self, *args: Any, rate_state: _RateState, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rate_state = rate_state

    def request(self, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        method, url = str(args[0]).upper(), str(args[1])
        write = method == "POST" and not urlsplit(url).path.endswith(_TOKEN_PATH)
        self.rate_state.calls += 1
        try:
            response = super().request(*args, timeout=timeout, **kwargs)
        except prawcore.RequestException as exc:
            if write:  # prawcore would retry the POST: maybe a second reply
                raise AmbiguousWrite(f"{type(exc.original_exception).__name__}") from exc
            raise
        self.rate_state.saw(response)
        if write and response.status_code in prawcore.Session.RETRY_STATUSES:
            raise AmbiguousWrite(f"HTTP {response.status_code}")
        return response


class RedditClient:
    """A lazily built ``praw.Reddit`` with a lock, a rate guard and error translation."""

    def __init__(
        self, settings: RedditSourceSettings, clock: Clock,
        credentials: RedditCredentials | None = None,
    ) -> None:
        self.settings, self.clock = settings, clock
        self._credentials = credentials
        self._reddit: praw.Reddit | None = None
        self._me: str | None = None
        self.rate = _RateState(clock)
        self.lock = threading.RLock()

    @property
    def credentials(self) -> RedditCredentials:
        if self._credentials is None:
            self._credentials = RedditCredentials.from_env()
        return self._credentials

    @property
    def reddit(self) -> praw.Reddit:
        if self._reddit is None:
            self._reddit = self._build()
        return self._reddit

    @property
    def calls(self) -> int:
        return self.rate.calls

    def _build(self) -> praw.Reddit:
        creds, s = self.credentials, self.settings
        user_agent = s.user_agent or (
            f"python:mentiondesk:{APP_VERSION} (by /u/{creds.username or 'mentiondesk'})")
        session = requests.Session()
        host = urlsplit(s.oauth_url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            session.trust_env = False  # an env proxy would capture the sandbox's traffic
        kwargs: dict[str, Any] = {}
        if creds.user_mode:
            assert creds.password is not None
            kwargs = {"username": creds.username, "password": creds.password.get_secret_value()}
        try:
            return praw.Reddit(
                client_id=creds.client_id,
                client_secret=creds.client_secret.get_secret_value(),
                user_agent=user_agent,
                oauth_url=s.oauth_url,
                reddit_url=s.reddit_url,
                check_for_updates=False,
                check_for_async=False,
                ratelimit_seconds=s.max_inline_wait_seconds,
                requestor_class=_Requestor,
                requestor_kwargs={"session": session, "timeout": s.timeout_seconds,
                                  "rate_state": self.rate},
                **kwargs,
            )
        except (PRAWException, prawcore.PrawcoreException) as exc:
            raise AuthError(f"reddit client misconfigured: {exc}") from exc

    def guard(self) -> None:
        """Refuse to call when prawcore would otherwise sleep until the window resets."""
        rate = self.rate
        if rate.remaining is None or rate.remaining > 0 or rate.reset_at is None:
            return
        wait = (rate.reset_at - self.clock.now()).total_seconds()
        if wait > self.settings.max_inline_wait_seconds:
            raise RateLimited(f"reddit rate budget spent; resets in {wait:.0f}s", rate.reset_at)

    def read(self, what: str, call: Callable[[], T]) -> T:
        """Run a read under the lock; praw's errors come out as SourceError."""
        with self.lock:
            try:
                self.guard()
                return call()
            except SourceError:
                raise
            except Exception as exc:
                raise source_error(exc, what, self.clock) from exc

    def me(self) -> str:
        """The logged-in account's name as Reddit spells it (one call, then cached)."""
        if self._me is None:
            if not self.credentials.user_mode:
                raise AuthError("reddit: MENTIONDESK_REDDIT_USERNAME and _PASSWORD are needed "
                                "for username mentions and replies")
            self._me = str(self.read("/api/v1/me", lambda: self.reddit.user.me().name))
        return self._me


def _reset_at(exc: prawcore.TooManyRequests, clock: Clock) -> datetime:
    headers = exc.response.headers
    for key in ("retry-after", "x-ratelimit-reset"):
        try:
            return clock.now() + timedelta(seconds=max(1.0, float(headers[key])))
        except (KeyError, ValueError):
            continue
    return clock.now() + timedelta(seconds=60)


def source_error(exc: Exception, what: str, clock: Clock) -> SourceError:
    """praw/prawcore's exception as the one SourceError the pipeline acts on."""
    where = f"reddit {what}"
    if isinstance(exc, prawcore.TooManyRequests):
        reset = _reset_at(exc, clock)
        return RateLimited(f"{where}: 429 too many requests until {reset:%H:%M:%S}Z", reset)
    if isinstance(exc, prawcore.OAuthException):
        return AuthError(f"{where}: credentials refused ({exc.error}); check "
                         "MENTIONDESK_REDDIT_USERNAME and MENTIONDESK_REDDIT_PASSWORD")
    if isinstance(exc, prawcore.InvalidToken):
        return AuthError(f"{where}: access token refused (401) after a refresh")
    if isinstance(exc, prawcore.Forbidden | prawcore.InsufficientScope):
        return AuthError(f"{where}: 403 forbidden (private or banned subreddit, missing "
                         "scope, or the app is not approved by Reddit)")
    if isinstance(exc, prawcore.Redirect | prawcore.NotFound):
        return AuthError(f"{where}: a subreddit in `subreddits` does not exist or is banned "
                         f"(HTTP {exc.response.status_code})")
    if isinstance(exc, prawcore.BadJSON):
        return MalformedResponse(f"{where}: answer is not JSON "
                                 f"({exc.response.headers.get('content-type', '?')})")
    if isinstance(exc, prawcore.ServerError):
        return SourceUnavailable(f"{where}: HTTP {exc.response.status_code} after retries")
    if isinstance(exc, prawcore.RequestException):
        return SourceUnavailable(f"{where}: {type(exc.original_exception).__name__} after "
                                 "retries")
    if isinstance(exc, prawcore.ResponseException):
        status = exc.response.status_code
        if status == 401:  # the token endpoint refused the app itself
            return AuthError(f"{where}: app credentials refused (401); check "
                             "MENTIONDESK_REDDIT_CLIENT_ID and MENTIONDESK_REDDIT_CLIENT_SECRET")
        return SourceUnavailable(f"{where}: HTTP {status}")
    if isinstance(exc, RedditAPIException):
        return SourceUnavailable(f"{where}: {exc}")
    if isinstance(exc, ClientException | ValueError | KeyError | TypeError | AttributeError):
        return MalformedResponse(f"{where}: unreadable answer ({type(exc).__name__}: {exc})")
    if isinstance(exc, PRAWException | prawcore.PrawcoreException):
        return SourceUnavailable(f"{where}: {type(exc).__name__}: {exc}")
    raise exc


def publish_error(
    exc: Exception, what: str, manual_url: str | None, clock: Clock
) -> PublishError:
    """praw/prawcore's exception as PublishRefused (for good) or PublishError (retry)."""
    where = f"reddit {what}"
    if isinstance(exc, PublishError):
        return exc
    if isinstance(exc, prawcore.TooManyRequests):
        until = _reset_at(exc, clock)
        return PublishRateLimited(f"{where}: 429 too many requests until {until:%H:%M:%S}Z",
                                  until)
    if isinstance(exc, RateLimited):
        return PublishRateLimited(f"{where}: {exc}", exc.reset_at)
    if isinstance(exc, AmbiguousWrite):
        return PublishError(f"{where}: outcome unknown ({exc}); check the thread before "
                            "posting again")
    if isinstance(exc, RedditAPIException):
        kinds = {item.error_type for item in exc.items}
        if kinds & _RETRYABLE_API_ERRORS:
            return PublishError(f"{where}: {exc}")
        if kinds & _GONE_API_ERRORS:
            return PostGone(f"{where}: the post or comment was deleted: {exc}")
        return PublishRefused(f"{where}: refused: {exc}", manual_url)
    if isinstance(exc, prawcore.Forbidden):
        return PublishRefused(f"{where}: 403 forbidden (banned, archived or locked, or the "
                              "account lacks permission)", manual_url)
    if isinstance(exc, prawcore.NotFound):
        return PostGone(f"{where}: the post or comment no longer exists")
    if isinstance(exc, SourceError):
        return PublishError(f"{where}: {exc}")
    return PublishError(str(source_error(exc, what, clock)))


_SHARED: dict[tuple[str, ...], RedditClient] = {}
_SHARED_LOCK = threading.Lock()


def shared_client(settings: RedditSourceSettings, clock: Clock) -> RedditClient:
    """The one client per (credentials, endpoints): source and publisher share its budget.

    Credentials are read from the environment when the client is first used, so a
    missing variable pauses this source (AuthError) rather than stopping start-up.
    """
    def env(name: str) -> str:
        value = secret(name)
        return value.get_secret_value() if value else ""

    key = (settings.oauth_url, settings.reddit_url, env("MENTIONDESK_REDDIT_CLIENT_ID"),
           env("MENTIONDESK_REDDIT_USERNAME"))
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = RedditClient(settings, clock)
        return _SHARED[key]
