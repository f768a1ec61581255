"""Settings of a Bluesky source (``platform = "bluesky"``), documented in docs/settings.md."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from config.base import SourceBase


class BlueskySourceSettings(SourceBase):
    """Bluesky through the atproto SDK: the brand account's notifications, optionally search.

    The handle and app password come from MENTIONDESK_BLUESKY_* (config/secrets.py).
    """

    platform: Literal["bluesky"]
    service_url: str = "https://bsky.social"  # where the account logs in (its PDS or entryway)
    notification_pages: int = Field(5, ge=1, le=50)  # pages of 100 per poll; more wait
    keyword_search: bool = False  # app.bsky.feed.searchPosts: Bluesky asks for sparing use
    search_terms: list[str] | None = None  # None: the brand's keywords
    search_interval_seconds: float = Field(900, ge=60)
    search_pages: int = Field(1, ge=1, le=10)
    overlap_seconds: float = Field(120, ge=0, le=3600)  # re-read below the newest (late index)
    backfill_hours: float = Field(24, gt=0, le=720)  # how far back the first poll reads
    own_accounts: list[str] = []  # more brand handles or DIDs whose posts are never mentions
    follower_lookup: bool = True  # app.bsky.actor.getProfiles, 25 authors a call
    confirm_records: int = Field(100, ge=1, le=1000)  # own newest posts read to confirm a reply
    timeout_seconds: float = Field(10, gt=0, le=120)
    max_retries: int = Field(2, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _bluesky_values(self) -> BlueskySourceSettings:
        parts = urlsplit(self.service_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("service_url: needs an http(s) URL")
        if self.search_terms is not None and not all(t.strip() for t in self.search_terms):
            raise ValueError("search_terms: empty term")
        return self
