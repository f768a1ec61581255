"""Bluesky through the atproto SDK: the brand account's notifications (mentions, replies,
quotes) and, optionally, keyword search in; threaded replies out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from listener.base import Platform
from listener.bluesky.length import BLUESKY_LIMIT, bluesky_length
from listener.bluesky.settings import BlueskySourceSettings

if TYPE_CHECKING:
    from config.settings import Settings
    from core.clock import Clock
    from listener.bluesky.publisher import BlueskyPublisher
    from listener.bluesky.source import BlueskySource


def _source(source: BlueskySourceSettings, settings: Settings, clock: Clock) -> BlueskySource:
    from listener.bluesky.source import BlueskySource

    return BlueskySource(source, settings.brand(source.brand), clock)


def _publisher(source: BlueskySourceSettings, settings: Settings,
               clock: Clock) -> BlueskyPublisher:
    from listener.bluesky.publisher import BlueskyPublisher

    return BlueskyPublisher(source, clock)


PLATFORM = Platform(
    name="bluesky", settings=BlueskySourceSettings, source=_source, publisher=_publisher,
    reply_length=bluesky_length, reply_limit=BLUESKY_LIMIT,
    address=lambda handle: f"@{handle.lstrip('@')}",
    confirms="the account's own newest post records, read from its PDS "
             "(com.atproto.repo.listRecords), which show a post the moment it is written, "
             "for one with the same parent and text",
    secrets={
        "MENTIONDESK_BLUESKY_HANDLE": "Bluesky handle of the brand account, e.g. acme.bsky.social",
        "MENTIONDESK_BLUESKY_APP_PASSWORD": "Bluesky app password of the brand account "
                                            "(Settings > App passwords), never the main password",
    },
)
