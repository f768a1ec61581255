"""`main.py model train --stages wide`: the heads trained on every source, measured and
thresholded on sources they never saw, written beside the fixed serving encoder.

Steps: every source's rows (``train_data``), their serving vectors (``train_features``,
cached), one fit per held-out source or brand fold for out-of-source probabilities,
thresholds from those, the by-source tables, then the final heads on everything and a
compact int8 sample of the training inputs for ``main.py model adapt``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from sentiment.classifier import HEADS
from sentiment.encoder import encoder_version
from sentiment.evaluate_sources import format_tables, triage_table, triage_thresholds
from sentiment.labels import LABELS_DIR
from sentiment.train_data import Row, all_rows
from sentiment.train_features import HEAD_INPUTS, cached_encode, head_inputs
from sentiment.train_tone import (
    TONE_FIT,
    TONE_INPUTS,
    by_source,
    format_tone,
    heldout_table,
    load_tone,
    save_tone_head,
    train_tone_head,
)
from sentiment.train_wide import (
    ADAPT_BASE,
    Dataset,
    FitSettings,
    Mlp,
    Output,
    by_source_table,
    compact_base,
    dataset_from,
    fit,
    out_of_source,
    save_heads,
)

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"


def _bar(label: str) -> Callable[[int, int], None]:
    """A progress callback printing one updating line."""
    start = time.monotonic()

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        print(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
              f"{time.monotonic() - start:.0f}s", end="" if done < total else "\n",
              flush=True)  # fmt: skip

    return show


def load_training(data_dir: Path, serving_dir: Path, cache_dir: Path,
                  labels_dir: Path = LABELS_DIR, threads: int = 2,
                  inputs: tuple[str, ...] = HEAD_INPUTS
                  ) -> tuple[list[Row], Dataset, np.ndarray]:
    """Rows, their Dataset (head inputs) and tone logits, encoding only what is new."""
    rows = all_rows(Path(data_dir), labels_dir)
    vectors = cached_encode(serving_dir, [r.text for r in rows], cache_dir, threads=threads,
                            progress=_bar("encoding"))  # fmt: skip
    return rows, dataset_from(rows, head_inputs(vectors, inputs)), vectors["tone_logits"]


def update_manifest(directory: Path, section: dict[str, Any]) -> None:
    """Merge ``section`` into the model's manifest (head_inputs, heads, figures)."""
    path = Path(directory) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    manifest.update(section)
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def train_wide(data_dir: Path, serving_dir: Path, out_dir: Path, cache_dir: Path,
               labels_dir: Path = LABELS_DIR, settings: FitSettings | None = None,
               threads: int = 2) -> dict[str, Any]:
    """Train, measure by source, and write heads + manifest into ``out_dir``."""
    settings = settings or FitSettings()
    started = time.monotonic()
    rows, data, tone_logits = load_training(data_dir, serving_dir, cache_dir, labels_dir,
                                            threads)  # fmt: skip
    probs = cached_out_of_source(rows, data, settings, Path(cache_dir))
    thresholds = triage_thresholds(rows, data, probs, tone_logits)
    heads_table = by_source_table(data, probs)
    decisions = triage_table(rows, data, probs, tone_logits)
    print(format_tables(heads_table, decisions))
    model = fit(data, settings, progress=_bar("final fit"))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_heads(model, out_dir)
    np.savez_compressed(out_dir / ADAPT_BASE, **cast(dict[str, Any], compact_base(data)))
    counts = {s: int(n) for s, n in zip(*np.unique(data.sources, return_counts=True),
                                        strict=True)}  # fmt: skip
    section = {
        "head_inputs": list(HEAD_INPUTS),
        "heads": {
            "names": list(HEADS), "thresholds": {k: round(v, 4) for k, v in thresholds.items()},
            "fit": vars(settings), "rows": len(rows), "rows_by_source": counts,
            "figures": {"by_source": heads_table, "triage_by_source": decisions},
            "minutes": round((time.monotonic() - started) / 60, 1),
        },
    }  # fmt: skip
    update_manifest(out_dir, section)
    return section


def cached_out_of_source(rows: list[Row], data: Dataset, settings: FitSettings,
                         cache_dir: Path, output: Output = "sigmoid") -> np.ndarray:
    """``out_of_source``, kept in ``cache_dir`` under a hash of the rows, their answers
    (and tones, for the tone head), the inputs and the fit settings: changing the triage
    rules or thresholds does not refit twenty held-out heads."""
    import hashlib

    digest = hashlib.sha1(repr(vars(settings)).encode())
    for row in rows:
        tone = f"\0{row.tone}" if output == "softmax" else ""
        digest.update(f"{row.source}\0{row.group}\0{row.text}\0{row.answers}{tone}\n".encode())
    digest.update(np.ascontiguousarray(data.x[:, :8]).tobytes())
    path = Path(cache_dir) / f"oos-{digest.hexdigest()[:12]}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return stored["probs"]
    probs = out_of_source(data, settings, progress=_bar("held-out fits"), output=output)
    np.savez_compressed(path, probs=probs)
    return probs


@dataclass
class ToneMeasure:
    """The tone head fitted on every row, its blend weight, and its figures."""

    model: Mlp
    weight: float
    by_source: list[dict[str, Any]]
    never_seen: list[dict[str, Any]]
    rows: int

    def report(self, inputs: Sequence[str] = TONE_INPUTS) -> str:
        return format_tone(self.by_source, self.never_seen, inputs, self.weight)


def measure_tone(data_dir: Path, serving_dir: Path, cache_dir: Path,
                 inputs: Sequence[str] = TONE_INPUTS, settings: FitSettings = TONE_FIT,
                 threads: int = 2) -> ToneMeasure:
    """The tone head and its blend by held-out source (out-of-source fits cached) and on
    the sets neither the encoder nor the head trained on."""
    rows, data, encoder_logits, sets = load_tone(data_dir, serving_dir, cache_dir, inputs,
                                                 threads=threads, progress=_bar("encoding"))
    probs = cached_out_of_source(rows, data, settings, Path(cache_dir), output="softmax")
    table = by_source(data, probs, encoder_logits)
    model, weight = train_tone_head(data, probs, encoder_logits, settings,
                                    progress=_bar("final fit"))
    return ToneMeasure(model, weight, table, heldout_table(model, weight, sets), len(rows))


def train_tone_stage(data_dir: Path, serving_dir: Path, out_dir: Path, cache_dir: Path,
                     settings: FitSettings = TONE_FIT, threads: int = 2) -> dict[str, Any]:
    """``measure_tone``, and the head written into ``out_dir`` (whose encoder must be
    ``serving_dir``'s: the head reads its vectors)."""
    started = time.monotonic()
    measured = measure_tone(data_dir, serving_dir, cache_dir, settings=settings,
                            threads=threads)
    print(measured.report())
    save_tone_head(measured.model, measured.weight, Path(out_dir), encoder_version(serving_dir))
    section = {"tone_head": {
        "weight": measured.weight, "inputs": list(TONE_INPUTS), "fit": vars(settings),
        "rows": measured.rows,
        "figures": {"by_source": measured.by_source, "never_seen": measured.never_seen},
        "minutes": round((time.monotonic() - started) / 60, 1)}}
    update_manifest(out_dir, section)
    return section
