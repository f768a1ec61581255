"""Settings of a replay source (``platform = "replay"``), documented in docs/settings.md."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from config.base import SourceBase


class ReplaySourceSettings(SourceBase):
    platform: Literal["replay"]
    path: Path
    interval_seconds: float = Field(5, gt=0)
    speed: float = Field(1.0, gt=0)  # 2.0 releases mentions twice as fast
    # The first poll of a fresh database releases the lines of the first this-many
    # seconds at once, dated in the past, as a real network's backfill would: the demo
    # shows mentions, triage and drafts on its first poll. 0: the replay starts now.
    backfill_seconds: float = Field(0, ge=0)

    def files(self) -> dict[str, Path]:
        return {"path": self.path}
