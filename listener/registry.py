"""Builds each configured source and its publisher: the one place that knows them all."""

from __future__ import annotations

from config.settings import (
    RedditSourceSettings,
    ReplaySourceSettings,
    Settings,
    SourceSettings,
    XSourceSettings,
)
from core.clock import Clock
from listener.base import MentionSource
from listener.replay import ReplaySource
from responder.publisher import Publisher
from responder.sink import SinkPublisher


def build_source(source: SourceSettings, settings: Settings, clock: Clock) -> MentionSource:
    brand = settings.brand(source.brand)
    if isinstance(source, ReplaySourceSettings):
        return ReplaySource(source, brand, clock)
    if isinstance(source, XSourceSettings):
        from listener.x_source import XSource

        index = next(i for i, s in enumerate(settings.sources) if s.name == source.name)
        return XSource(source, brand, clock, key=f"sources.{index}.query")
    if isinstance(source, RedditSourceSettings):
        from listener.reddit import RedditSource

        return RedditSource(source, brand, clock)
    raise ValueError(f"no source for platform {source.platform!r}")


def build_publisher(source: SourceSettings, settings: Settings, clock: Clock) -> Publisher:
    if isinstance(source, ReplaySourceSettings):
        limit = settings.responder.length_limits.get("replay", 280)
        return SinkPublisher(settings.app.data_dir / "sink" / f"{source.name}.jsonl", clock,
                             limit)
    if isinstance(source, XSourceSettings):
        from responder.x_publisher import XPublisher

        return XPublisher(source, clock)
    if isinstance(source, RedditSourceSettings):
        from responder.reddit_publisher import RedditPublisher

        return RedditPublisher(source, clock,
                               limit=settings.responder.length_limits.get("reddit", 10_000))
    raise ValueError(f"no publisher for platform {source.platform!r}")
