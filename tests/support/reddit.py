"""Shared pieces of the Reddit tests: a sandbox on 127.0.0.1, a manual clock, real praw."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr

from config.settings import BrandSettings
from core.clock import ManualClock
from listener.reddit.client import RedditClient, RedditCredentials
from listener.reddit.publisher import RedditPublisher
from listener.reddit.settings import RedditSourceSettings
from listener.reddit.source import RedditSource
from sandbox.reddit_api import RedditSandbox, SandboxCredentials

BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora", "lumora lamp"],
                      exclusions=["Lumora Falls"])
SBX = SandboxCredentials(username="lumora_support")
CREDS = RedditCredentials(SBX.client_id, SecretStr(SBX.client_secret), SBX.username,
                          SecretStr(SBX.password))


@contextmanager
def sandbox(clock: ManualClock, **kwargs: Any) -> Iterator[RedditSandbox]:
    """A sandbox whose notion of now is the test's clock."""
    with RedditSandbox(credentials=SBX, now=lambda: clock.now().timestamp(), **kwargs) as sbx:
        sbx.add_subreddit("gadgets")
        yield sbx


def settings(sbx: RedditSandbox, **overrides: Any) -> RedditSourceSettings:
    values: dict[str, Any] = {"platform": "reddit", "name": "reddit-lumora", "brand": "Lumora",
                              "subreddits": ["gadgets"], "oauth_url": sbx.url,
                              "reddit_url": sbx.url, "timeout_seconds": 5}
    values.update(overrides)
    return RedditSourceSettings(**values)


def client(sbx: RedditSandbox, clock: ManualClock, creds: RedditCredentials = CREDS,
           **overrides: Any) -> RedditClient:
    """A fresh client: a fresh praw.Reddit, as after a restart."""
    return RedditClient(settings(sbx, **overrides), clock, creds)


def make_source(sbx: RedditSandbox, clock: ManualClock, creds: RedditCredentials = CREDS,
                brand: BrandSettings = BRAND, **overrides: Any) -> RedditSource:
    st = settings(sbx, **overrides)
    return RedditSource(st, brand, clock, RedditClient(st, clock, creds))


def make_publisher(sbx: RedditSandbox, clock: ManualClock, **overrides: Any) -> RedditPublisher:
    st = settings(sbx, **overrides)
    return RedditPublisher(st, clock, RedditClient(st, clock, CREDS))
