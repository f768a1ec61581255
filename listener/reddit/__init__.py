"""Reddit through praw: subreddit search, newest comments and username mentions in,
comment replies out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from listener.base import Platform
from listener.reddit.settings import RedditSourceSettings

if TYPE_CHECKING:
    from config.settings import Settings
    from core.clock import Clock
    from listener.reddit.publisher import RedditPublisher
    from listener.reddit.source import RedditSource

REDDIT_LIMIT = 10_000  # characters of Markdown in a comment
GONE_AUTHORS = {"", "[deleted]", "[removed]"}


def address(handle: str) -> str:
    """``u/name``; nothing for a deleted account (no "Hi u/[deleted]")."""
    name = handle.strip().removeprefix("/").removeprefix("u/")
    return "" if name in GONE_AUTHORS else f"u/{name}"


def _source(source: RedditSourceSettings, settings: Settings, clock: Clock) -> RedditSource:
    from listener.reddit.source import RedditSource

    return RedditSource(source, settings.brand(source.brand), clock)


def _publisher(source: RedditSourceSettings, settings: Settings,
               clock: Clock) -> RedditPublisher:
    from listener.reddit.publisher import RedditPublisher

    return RedditPublisher(source, clock,
                           limit=PLATFORM.limit(settings))


PLATFORM = Platform(
    name="reddit", settings=RedditSourceSettings, source=_source, publisher=_publisher,
    reply_length=len, reply_limit=REDDIT_LIMIT, address=address,
    confirms="the parent's direct replies, newest first (GET /comments/{id}/), for one by "
             "the brand's account with the same text",
    secrets={
        "MENTIONDESK_REDDIT_CLIENT_ID": "Reddit script app client id",
        "MENTIONDESK_REDDIT_CLIENT_SECRET": "Reddit script app client secret",
        "MENTIONDESK_REDDIT_USERNAME": "Reddit brand account username",
        "MENTIONDESK_REDDIT_PASSWORD": "Reddit brand account password",
    },
)
