"""The normalised mention every platform adapter produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Author:
    platform_id: str
    handle: str
    name: str = ""
    followers: int = 0  # reach: followers on X, karma on Reddit
    verified: bool = False
    # False when the platform could not tell the reach this time (e.g. a rate-limited
    # karma lookup): the stored figure is kept rather than overwritten with 0.
    followers_known: bool = True


@dataclass(frozen=True)
class Mention:
    """One post that names a brand, as every later stage sees it.

    ``raw`` keeps the platform's own payload so nothing is lost in translation.
    """

    platform: str  # "x", "reddit", "replay"
    platform_id: str
    text: str
    author: Author
    created_at: datetime
    url: str = ""
    lang: str = ""
    conversation_id: str = ""
    in_reply_to_id: str = ""
    engagement: dict[str, int] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    # Set by the listener: the brand mentioned and whether the platform lets us reply
    # through its API (X refuses API replies to posts that do not @mention the brand).
    api_replyable: bool = True
