"""Shared pieces of the Bluesky tests: a sandbox on 127.0.0.1 on a manual clock, and the
real atproto client logged in to it."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from config.settings import BrandSettings
from core.clock import ManualClock
from listener.bluesky.client import BlueskyClient, Credentials
from listener.bluesky.publisher import BlueskyPublisher
from listener.bluesky.settings import BlueskySourceSettings
from listener.bluesky.source import BlueskySource
from sandbox.bluesky_api import BlueskySandbox

BRAND_HANDLE = "lumora.bsky.social"
PASSWORD = "abcd-efgh-ijkl-mnop"
BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora"],
                      exclusions=["Lumora Falls"])


def new_sandbox(clock: ManualClock) -> BlueskySandbox:
    """A sandbox for the brand account on the test's clock (use it with ``with``)."""
    return BlueskySandbox(brand_handle=BRAND_HANDLE, app_password=PASSWORD, clock=clock)


def bluesky_settings(sandbox: BlueskySandbox, **overrides: Any) -> BlueskySourceSettings:
    values: dict[str, Any] = {"platform": "bluesky", "name": "bsky-lumora", "brand": "Lumora",
                              "service_url": sandbox.url, "timeout_seconds": 5,
                              "backoff_seconds": 0}
    return BlueskySourceSettings(**{**values, **overrides})


def make_client(sandbox: BlueskySandbox, clock: ManualClock, password: str = PASSWORD,
                **overrides: Any) -> BlueskyClient:
    return BlueskyClient(bluesky_settings(sandbox, **overrides), clock,
                         credentials=Credentials(BRAND_HANDLE, SecretStr(password)))


def make_source(sandbox: BlueskySandbox, clock: ManualClock, client: BlueskyClient | None = None,
                **overrides: Any) -> BlueskySource:
    settings = bluesky_settings(sandbox, **overrides)
    return BlueskySource(settings, BRAND, clock, client or make_client(sandbox, clock, **overrides))


def make_publisher(sandbox: BlueskySandbox, clock: ManualClock,
                   client: BlueskyClient | None = None, **overrides: Any) -> BlueskyPublisher:
    return BlueskyPublisher(bluesky_settings(sandbox, **overrides), clock,
                            client or make_client(sandbox, clock, **overrides))
