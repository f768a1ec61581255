"""Loading settings with everything above config that settings depend on.

Config imports no stage. Two things reach it from here instead: the networks' source
settings models (importing ``listener.platforms`` registers them) and the checks that are
a stage's rules (the reply policy on templates, ``responder.policy.check_templates``).
Every command loads settings through ``load_settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import listener.platforms  # noqa: F401  (registers the source settings models)
from config.loader import load
from config.settings import Settings
from responder.policy import check_templates

CHECKS = (check_templates,)


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """``config.loader.load`` with the platforms registered and the stages' checks run."""
    return load(path, env, checks=CHECKS)
