"""X (Twitter) through tweepy: recent search and the mentions timeline in, replies out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from listener.base import Platform
from listener.x.length import X_LIMIT, x_length
from listener.x.settings import XSourceSettings

if TYPE_CHECKING:
    from config.settings import Settings
    from core.clock import Clock
    from listener.x.publisher import XPublisher
    from listener.x.source import XSource


def _source(source: XSourceSettings, settings: Settings, clock: Clock) -> XSource:
    from listener.x.source import XSource

    index = next(i for i, s in enumerate(settings.sources) if s.name == source.name)
    return XSource(source, settings.brand(source.brand), clock, key=f"sources.{index}.query")


def _publisher(source: XSourceSettings, settings: Settings, clock: Clock) -> XPublisher:
    from listener.x.publisher import XPublisher

    return XPublisher(source, clock)


PLATFORM = Platform(
    name="x", settings=XSourceSettings, source=_source, publisher=_publisher,
    reply_length=x_length, reply_limit=X_LIMIT,
    address=lambda handle: f"@{handle.lstrip('@')}" if handle.lstrip("@") else "",
    confirms="the brand's own timeline (GET /2/users/:id/tweets) since the post answered: "
             "it shows a new post at once, where recent search lags about 30 s",
    secrets={
        "MENTIONDESK_X_BEARER_TOKEN": "X app-only bearer token, for search (read)",
        "MENTIONDESK_X_CONSUMER_KEY": "X OAuth 1.0a consumer key, for posting replies",
        "MENTIONDESK_X_CONSUMER_SECRET": "X OAuth 1.0a consumer secret",
        "MENTIONDESK_X_ACCESS_TOKEN": "X OAuth 1.0a access token of the brand account",
        "MENTIONDESK_X_ACCESS_TOKEN_SECRET": "X OAuth 1.0a access token secret",
    },
)
