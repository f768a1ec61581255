"""Settings of an X source (``platform = "x"``), documented in docs/settings.md."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.base import SourceBase


class XSourceSettings(SourceBase):
    """X (Twitter) through tweepy: recent search, optionally the mentions timeline.

    Credentials come from MENTIONDESK_X_* (config/secrets.py), never from here.
    """

    platform: Literal["x"]
    query: str | None = None  # replaces the query built from the brand's terms
    languages: list[str] = []  # empty: the brand's languages
    include_mentions_timeline: bool = False
    api_base_url: str = "https://api.twitter.com"
    query_max_length: int = Field(512, ge=1)
    max_results: int = Field(100, ge=10, le=100)
    monthly_read_cap: int | None = Field(None, gt=0)  # posts per period; None: no governor
    # Pay-per-use (X since 2026-02): dollars per billing cycle; None: no spend governor.
    monthly_spend_cap_usd: float | None = Field(None, gt=0)
    post_read_price_usd: float = Field(0.005, gt=0)  # search and lookups, per post
    owned_read_price_usd: float = Field(0.001, gt=0)  # the brand's own mentions timeline
    read_cap_reset_day: int = Field(1, ge=1, le=28)  # day of the month the cap resets
    backfill_hours: float = Field(24, gt=0, le=168)  # how far back the first poll reads
    timeout_seconds: float = Field(10, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    backoff_seconds: float = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _one_budget(self) -> XSourceSettings:
        if self.monthly_read_cap and self.monthly_spend_cap_usd:
            raise ValueError("monthly_read_cap and monthly_spend_cap_usd: set one (a legacy "
                             "tier's read cap, or pay-per-use spend), not both")
        return self
