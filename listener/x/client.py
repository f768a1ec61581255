"""Building a tweepy client for a configured base URL, and calling it safely.

tweepy always builds URLs on ``https://api.twitter.com``; a transport adapter on its
``requests`` session rewrites that prefix to the configured base URL (a proxy, the
sandbox, the tests) and adds a timeout, so signing, parameters, status mapping and
pagination stay tweepy's own. tweepy and requests exceptions are caught here and
nowhere else, and turned into ``core.errors`` types.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import tweepy
from requests.adapters import HTTPAdapter

from core.backoff import RetryPolicy
from core.clock import Clock
from core.errors import (
    AuthError,
    MalformedResponse,
    RateLimited,
    SourceError,
    SourceUnavailable,
)

log = logging.getLogger(__name__)

X_HOST = "https://api.twitter.com"
T = TypeVar("T")


class _Redirect(HTTPAdapter):
    """Sends tweepy's api.twitter.com requests to ``base_url``, with a timeout."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(X_HOST) and self.base_url != X_HOST:
            request.url = self.base_url + request.url[len(X_HOST):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def make_client(
    base_url: str = X_HOST,
    *,
    bearer_token: str | None = None,
    consumer_key: str | None = None,
    consumer_secret: str | None = None,
    access_token: str | None = None,
    access_token_secret: str | None = None,
    timeout: float = 10.0,
) -> tweepy.Client:
    """A tweepy client whose requests go to ``base_url``; never waits on rate limits."""
    client = tweepy.Client(
        bearer_token=bearer_token, consumer_key=consumer_key,
        consumer_secret=consumer_secret, access_token=access_token,
        access_token_secret=access_token_secret, wait_on_rate_limit=False,
    )
    client.session.mount(X_HOST, _Redirect(base_url, timeout))
    if base_url.rstrip("/") != X_HOST:
        # A proxy from the environment is chosen by the original host name: skip it.
        client.session.trust_env = False
    return client


class Transient(Exception):
    """Internal: a failure worth retrying (5xx, timeout, connection)."""


def call(fn: Callable[[], T], clock: Clock, what: str, policy: RetryPolicy,
         on_attempt: Callable[[], None] | None = None) -> T:
    """Run one tweepy call, retrying transient failures; raise only SourceError types.

    ``on_attempt`` runs before each HTTP attempt (the poll's request count).
    """
    return policy.run(lambda: translate(fn, clock, what), Transient, what, SourceUnavailable,
                      before_each=on_attempt, logger=log)


def reset_at(exc: tweepy.TooManyRequests, clock: Clock) -> datetime:
    """When a 429's window ends: its x-rate-limit-reset header, else in 15 minutes."""
    reset = exc.reset_time
    return (datetime.fromtimestamp(reset, UTC) if reset
            else clock.now() + timedelta(minutes=15))


def translate(fn: Callable[[], T], clock: Clock, what: str) -> T:
    """Run ``fn`` once, mapping tweepy/requests failures to our exceptions."""
    try:
        return fn()
    except tweepy.TooManyRequests as exc:
        reset_at_ = reset_at(exc, clock)
        raise RateLimited(f"{what}: rate limited until {reset_at_:%H:%M:%S} UTC",
                          reset_at_) from None
    except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
        raise AuthError(f"{what}: X refused the credentials: {_message(exc)}") from None
    except tweepy.TwitterServerError as exc:
        raise Transient(f"X answered {exc.response.status_code}") from None
    except tweepy.BadRequest as exc:
        raise BadQuery(f"{what}: X refused the request: {_message(exc)}") from None
    except tweepy.HTTPException as exc:
        raise SourceError(f"{what}: X answered {exc.response.status_code}: "
                          f"{_message(exc)}") from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise Transient(f"no answer from X ({type(exc).__name__})") from None
    except (ValueError, KeyError, TypeError) as exc:
        # requests' JSONDecodeError is a ValueError; tweepy's models raise
        # KeyError/TypeError on objects missing id or text.
        raise MalformedResponse(f"{what}: unreadable answer from X ({type(exc).__name__}: "
                                f"{str(exc)[:120]})") from None
    except (requests.RequestException, tweepy.TweepyException) as exc:
        raise SourceError(f"{what}: {type(exc).__name__}: {exc}") from None


class BadQuery(SourceError):
    """X answered 400: the query or a parameter is wrong (fix the config)."""


def _message(exc: tweepy.HTTPException) -> str:
    return "; ".join(map(str, exc.api_messages)) or str(exc.response.reason)
