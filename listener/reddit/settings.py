"""Settings of a Reddit source (``platform = "reddit"``), documented in docs/settings.md."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from config.base import SourceBase


class RedditSourceSettings(SourceBase):
    """Reddit through praw: subreddit search, newest comments, username mentions.

    Credentials come from MENTIONDESK_REDDIT_* (config/secrets.py), never from here.
    """

    platform: Literal["reddit"]
    subreddits: list[str] = Field(default_factory=lambda: ["all"], min_length=1)
    brand_subreddits: list[str] = []  # the brand's communities: every post there counts
    terms: list[str] | None = None  # overrides the brand's keywords (and u/account)
    exclusions: list[str] | None = None  # overrides the brand's exclusions
    search_submissions: bool = True
    subreddit_comments: bool = True
    username_mentions: bool = True
    thread_title_match: bool = True  # a comment counts when its thread's title names the brand
    search_pages: int = Field(3, ge=1, le=10)
    comment_pages: int = Field(1, ge=1, le=10)
    mention_pages: int = Field(1, ge=1, le=10)
    overlap_seconds: float = Field(600, ge=0)  # re-read window for late-indexed items
    first_poll_max_age_hours: float = Field(24, gt=0)
    own_accounts: list[str] = []  # more brand accounts whose posts are never mentions
    karma_lookup: bool = True
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    user_agent: str = ""  # "" builds "python:mentiondesk:<version> (by /u/<username>)"
    timeout_seconds: float = Field(16, gt=0, le=120)
    max_inline_wait_seconds: int = Field(5, ge=0, le=60)

    @model_validator(mode="after")
    def _reddit_values(self) -> RedditSourceSettings:
        for sub in [*self.subreddits, *self.brand_subreddits]:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}", sub):
                raise ValueError(f"subreddits: {sub!r} is not a subreddit name (no r/ prefix)")
        for key in ("oauth_url", "reddit_url"):
            parts = urlsplit(getattr(self, key))
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{key}: needs an http(s) URL")
        if self.reddit_url.endswith("/"):
            raise ValueError("reddit_url: no trailing slash (praw appends /api/v1/...)")
        if urlsplit(self.oauth_url).path.strip("/") and not self.oauth_url.endswith("/"):
            raise ValueError("oauth_url: a base URL with a path needs a trailing slash")
        if self.user_agent and not re.fullmatch(r"\S+:\S+:\S+ \(by /?u/[\w-]+\)", self.user_agent):
            raise ValueError("user_agent: use <platform>:<app id>:<version> (by /u/<username>)")
        return self
