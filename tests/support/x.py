"""Shared pieces of the X tests: a sandbox on 127.0.0.1, a manual clock, settings."""

from __future__ import annotations

import random
from typing import Any

from config.settings import BrandSettings
from core.backoff import RetryPolicy
from core.clock import ManualClock
from listener.x.publisher import KEYS, XPublisher
from listener.x.settings import XSourceSettings
from listener.x.source import XSource
from sandbox.x_api import XSandbox

BRAND = BrandSettings(name="Lumora", handles=["lumora", "lumorahelp"],
                      keywords=["Lumora", "lumora lamp"], exclusions=["Lumora Falls"],
                      languages=["en"])
CREDENTIALS = dict.fromkeys(KEYS, "test-key")


class Sleeps:
    """An injected sleep that records instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def x_settings(sandbox: XSandbox, **overrides: Any) -> XSourceSettings:
    values: dict[str, Any] = {"platform": "x", "name": "x-lumora", "brand": "Lumora",
                              "api_base_url": sandbox.url, "timeout_seconds": 2.0}
    values.update(overrides)
    return XSourceSettings(**values)


def make_source(sandbox: XSandbox, clock: ManualClock, sleeps: Sleeps | None = None,
                brand: BrandSettings = BRAND, **overrides: Any) -> XSource:
    settings = x_settings(sandbox, **overrides)
    retry = RetryPolicy(retries=settings.max_retries, backoff=settings.backoff_seconds,
                        sleep=sleeps or Sleeps(), rng=random.Random(7))
    return XSource(settings, brand, clock, bearer_token="test-bearer", retry=retry)


def make_publisher(sandbox: XSandbox, clock: ManualClock, **overrides: Any) -> XPublisher:
    return XPublisher(x_settings(sandbox, **overrides), clock, credentials=CREDENTIALS)


# An X source against the sandbox at {url}, for the pipeline tests.
X_SOURCE = """
[[sources]]
platform = "x"
name = "x-lumora"
brand = "Lumora"
api_base_url = "{url}"
max_retries = 0
backoff_seconds = 0
"""
