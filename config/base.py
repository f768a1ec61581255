"""The base models every settings model builds on, apart from ``config.settings`` so that
each platform's settings model (``listener/<platform>/settings.py``) can use them while
``config.settings`` gathers those models from the platform registry."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceBase(Strict):
    """What every source has, whatever its platform."""

    platform: str  # each network's model narrows this to its Literal name
    name: str = Field(min_length=1)  # unique; also the key of its cursor
    brand: str  # the brands.name it listens for
    interval_seconds: float = Field(60, gt=0)

    def files(self) -> dict[str, Path]:
        """The files this source reads, by setting name: the loader refuses a missing one."""
        return {}
