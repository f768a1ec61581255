"""Replay: mentions from a JSONL file at their offsets, replies to a local sink file.

The embedded default for a first run and for backtests; it stands in for X, so replies
are counted and limited as on X.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from listener.base import Platform
from listener.replay.settings import ReplaySourceSettings
from listener.x.length import X_LIMIT, x_length

if TYPE_CHECKING:
    from config.settings import Settings
    from core.clock import Clock
    from listener.replay.publisher import SinkPublisher
    from listener.replay.source import ReplaySource


def _source(source: ReplaySourceSettings, settings: Settings, clock: Clock) -> ReplaySource:
    from listener.replay.source import ReplaySource

    return ReplaySource(source, settings.brand(source.brand), clock)


def _publisher(source: ReplaySourceSettings, settings: Settings,
               clock: Clock) -> SinkPublisher:
    from listener.replay.publisher import SinkPublisher

    limit = PLATFORM.limit(settings)
    return SinkPublisher(settings.app.data_dir / "sink" / f"{source.name}.jsonl", clock, limit)


PLATFORM = Platform(
    name="replay", settings=ReplaySourceSettings, source=_source, publisher=_publisher,
    reply_length=x_length, reply_limit=X_LIMIT, address=lambda handle: f"@{handle.lstrip('@')}",
    confirms="the sink file, fsynced before publish returns",
)
