"""The demo desk the drafting benches read: samples/lumora_mentions.jsonl replayed through
the pipeline the daemon builds, into a temporary database, on a manual clock."""

from __future__ import annotations

import tempfile
from pathlib import Path

from core.clock import ManualClock
from main import build_pipeline
from pipeline.jobs import Pipeline
from pipeline.settings import load_settings as load

ROOT = Path(__file__).resolve().parent.parent


def replayed_demo(config: Path, prefix: str, env: dict[str, str] | None = None
                  ) -> tuple[Pipeline, ManualClock, Path]:
    """The pipeline after every stage ran twice an hour apart (the replay's lines are
    all due by then), its clock and its temporary folder. ``env`` adds settings."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    settings = load(config, env={"MENTIONDESK_APP_DATABASE": str(tmp / "demo.db"),
                                 "MENTIONDESK_APP_DATA_DIR": str(tmp), **(env or {})})
    settings = settings.model_copy(update={"sources": [
        s.model_copy(update={"path": ROOT / s.path}) for s in settings.sources]})
    clock = ManualClock()
    pipeline = build_pipeline(settings, clock)  # as the daemon builds it
    pipeline.run_once()
    clock.advance(3600)
    pipeline.run_once()
    return pipeline, clock, tmp
