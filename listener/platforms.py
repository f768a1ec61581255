"""The platform registry: every network mentiondesk knows, by its ``platform`` name.

Adding a network is one folder ``listener/<name>/`` whose ``__init__`` describes it as a
``Platform``, plus one line here (and docs/platforms.md, docs/settings.md, tests).
Config, the daemon, drafting and the inboxes learn about it from this dict alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from config.settings import register_sources
from listener import bluesky, reddit, replay, x
from listener.base import MentionSource, Platform, Publisher

if TYPE_CHECKING:
    from config.settings import Settings, SourceSettings
    from core.clock import Clock

PLATFORMS: dict[str, Platform] = {
    "replay": replay.PLATFORM,
    "x": x.PLATFORM,
    "reddit": reddit.PLATFORM,
    "bluesky": bluesky.PLATFORM,
}
# Config learns the networks' settings models from here (it imports no network).
register_sources(p.settings for p in PLATFORMS.values())


def build_source(source: SourceSettings, settings: Settings, clock: Clock) -> MentionSource:
    return PLATFORMS[source.platform].source(source, settings, clock)


def build_publisher(source: SourceSettings, settings: Settings, clock: Clock) -> Publisher:
    return PLATFORMS[source.platform].publisher(source, settings, clock)


def platform_length(text: str, platform: str) -> int:
    """A reply's length as ``platform`` counts it (code points for an unknown one)."""
    known = PLATFORMS.get(platform)
    return known.reply_length(text) if known else len(text)


def reply_limit(settings: Settings, platform: str) -> int:
    """The longest reply mentiondesk drafts and posts on ``platform``: the operator's
    ``responder.length_limits`` override if there is one, never above the network's own
    limit (a longer reply could not be posted); else the registry's ``reply_limit``. An
    unknown platform gets the strictest registered limit."""
    known = PLATFORMS.get(platform)
    if known:
        return known.limit(settings)
    own = min(p.reply_limit for p in PLATFORMS.values())
    return min(settings.responder.length_limits.get(platform, own), own)


def address(platform: str, handle: str) -> str:
    """How a reply on ``platform`` names the author ``handle``."""
    known = PLATFORMS.get(platform)
    return known.address(handle) if known else f"@{handle.lstrip('@')}"
