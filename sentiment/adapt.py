"""`main.py model adapt`: the heads refitted on this desk's own labels.

Every brand's customers talk differently. A desk labels its own traffic as it works:
an agent's one-click needs_reply correction (the model's mistake and the right
answer), every approved reply (a confirmation: it needed one), and the model's "no"
that nobody contested (the quiet traffic); ``store.corrections.desk_labels`` reads all
three. Corrections alone would be a poor sample: mostly false alarms, so a refit on
them learns that the desk's traffic needs no reply, and the model in use is wrong on
every one of them, so any change looks better. Together the three kinds are a picture
of the whole traffic.

Adapting refits the heads on the shipped training sample (``adapt_base.npz``, so nothing
learned before is forgotten) plus the desk's labels (weighted by kind, ``WEIGHTS``),
chooses where the queue begins (``sentiment.triage.queue_entry``) on the labels'
out-of-fold probabilities, keeps a quarter of the labels aside (by a hash of the
mention, the same on every run) and compares the model in use with the new one there. A
new model that is not clearly cheaper there (a missed customer costs ``MISS_COST`` false
alarms; ``clearly_better``) is refused; a better one is written as a new versioned
folder under ``<data_dir>/models/`` and named in ``models/CURRENT``, which the daemon
reads when it starts or is reloaded (``resolve``, ``Pipeline.reload_model``), so triage
rows carry its version.

The encoder stays fixed: only the heads move, which is what makes this minutes on two
cores rather than hours.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from config.settings import ModelSettings, Settings
from sentiment.encoder import directory_version
from sentiment.train_features import HEAD_INPUTS, encode, head_inputs
from sentiment.train_wide import (
    ADAPT_BASE,
    Dataset,
    FitSettings,
    Mlp,
    Progress,
    expand_base,
    fit,
    load_heads,
    row_weights,
    save_heads,
)
from sentiment.triage import queue_entry
from store.corrections import CONFIRMATION, CORRECTION, UNCONTESTED

MODELS = "models"
CURRENT = "CURRENT"
MISS_COST = 5.0  # a missed customer costs the desk this many false alarms
HOLDOUT_SHARE = 0.25
MIN_CORRECTIONS = 20
SWITCH_MARGIN = 1.0  # standard errors by which a refit must beat the model in use
# How many shipped training rows a desk label counts for: a correction most (it is what
# the model got wrong), a confirmation less (the model already said yes; it keeps the
# refit from learning that the desk's traffic needs no reply), an uncontested "no" as
# one row (the quiet traffic, plentiful and nearly always right).
WEIGHTS = {CORRECTION: 10.0, CONFIRMATION: 3.0, UNCONTESTED: 1.0}
OWN = ("heads.safetensors", "manifest.json")  # what an adapted folder writes itself; the
# rest of the shipped folder (encoder, tokenizer, training sample, any head added later)
# is linked, so adapting never drops a file the model serves from


class AdaptError(Exception):
    """Adapting cannot run (too few corrections, no shipped training sample)."""


@dataclass
class Outcome:
    """Before/after on the held-out corrections, and where the new model went."""

    corrections: int
    held_out: int
    before: dict[str, float]
    after: dict[str, float]
    switched: bool
    confirmations: int = 0
    uncontested: int = 0
    version: str = ""
    directory: Path | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    minutes: float = 0.0


def models_dir(data_dir: Path) -> Path:
    return Path(data_dir) / MODELS


def current_dir(data_dir: Path) -> Path | None:
    """The adapted model this desk uses, or None (the shipped one)."""
    pointer = models_dir(data_dir) / CURRENT
    if not pointer.is_file():
        return None
    folder = models_dir(data_dir) / pointer.read_text(encoding="utf-8").strip()
    return folder if (folder / "manifest.json").is_file() else None


def resolve(name: str, data_dir: Path) -> str:
    """The model to load for the setting ``name``: the desk's adapted model when the
    setting is the default and one was adapted, else ``name`` unchanged."""
    if name != "default":
        return name
    adapted = current_dir(data_dir)
    return str(adapted) if adapted is not None else name


def desk_model(settings: Settings) -> ModelSettings:
    """The model settings a desk process loads: the configured model, or this desk's
    adapted heads when the setting is the default and ``model adapt`` switched to them
    (read at start and on a reload: ``Pipeline.reload_model``)."""
    name = resolve(settings.model.name, settings.app.data_dir)
    return settings.model if name == settings.model.name else settings.model.model_copy(
        update={"name": name})


def is_held_out(mention_id: int) -> bool:
    digest = hashlib.sha1(f"adapt:{mention_id}".encode()).digest()
    return digest[0] < 256 * HOLDOUT_SHARE


def mention_costs(gold: np.ndarray, probs: np.ndarray, threshold: float) -> np.ndarray:
    """What each decision costs the desk: ``MISS_COST`` for a missed customer, 1 for a
    false alarm, 0 when right."""
    said = probs >= threshold
    gold = gold.astype(bool)
    return np.where(gold & ~said, MISS_COST, 0.0) + np.where(~gold & said, 1.0, 0.0)


def clearly_better(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether the new decisions cost less than the old ones on the same mentions by
    more than ``SWITCH_MARGIN`` standard errors of the mean difference: on a hundred
    held-out labels, a refit that merely looks as good is as likely to be worse."""
    gain = before - after
    if len(gain) < 2 or not gain.any():
        return False
    spread = float(gain.std(ddof=1)) / np.sqrt(len(gain))
    return float(gain.mean()) > SWITCH_MARGIN * spread


def decision_figures(gold: np.ndarray, probs: np.ndarray, threshold: float
                     ) -> dict[str, float]:
    """Recall, false alarms, accuracy and cost per mention of needs_reply decisions."""
    said = probs >= threshold
    gold = gold.astype(bool)
    misses = float((gold & ~said).sum())
    alarms = float((~gold & said).sum())
    return {
        "n": float(len(gold)),
        "recall": float((said & gold).sum() / gold.sum()) if gold.any() else 1.0,
        "false_alarms": float(alarms / (~gold).sum()) if (~gold).any() else 0.0,
        "accuracy": float((said == gold).mean()) if len(gold) else 1.0,
        "cost": (MISS_COST * misses + alarms) / max(len(gold), 1),
    }


def _with_desk(base: Dataset, x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Dataset:
    targets = np.full((len(y), base.targets.shape[1]), -1, np.int8)
    targets[:, 0] = y
    sources = base.sources + ["desk"] * len(y)
    weights = np.concatenate([row_weights(base.sources),
                              np.asarray(weight, np.float32)])  # fmt: skip
    return Dataset(np.concatenate([base.x, x]).astype(np.float32),
                   np.concatenate([base.targets, targets]), weights, sources, sources)


def out_of_fold(base: Dataset, x: np.ndarray, y: np.ndarray, settings: FitSettings,
                weight: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """Every desk label's needs_reply probability from heads refitted without it (two
    folds)."""
    folds = np.arange(len(y)) % 2
    oof = np.zeros(len(y), np.float32)
    for k in (0, 1):
        part = _with_desk(base, x[folds != k], y[folds != k], weight[folds != k])
        oof[folds == k] = fit(part, settings).probs(x[folds == k])[:, 0]
        if progress is not None:
            progress(k + 1, 3)
    return oof


def desk_threshold(gold: np.ndarray, probs: np.ndarray, in_use: float) -> float:
    """The needs_reply threshold with the lowest cost on the desk's labels' out-of-fold
    probabilities; ties keep the one nearest the threshold in use. The labels of all
    three kinds together stand for the desk's whole traffic (the queue, its misses
    found, its quiet part), so this does not drift low the way a choice on mistakes
    alone does. The grid is geometric: the shipped thresholds are a few hundredths."""
    candidates = sorted(set(np.round(np.geomspace(0.005, 0.9, 60), 4)) | {round(in_use, 4)})
    return min(candidates, key=lambda t: (decision_figures(gold, probs, t)["cost"],
                                          abs(np.log(t / in_use))))  # fmt: skip


def refit(base: Dataset, x: np.ndarray, y: np.ndarray, shipped: dict[str, float],
          settings: FitSettings | None = None, progress: Progress | None = None,
          weight: np.ndarray | None = None) -> tuple[Mlp, dict[str, float]]:
    """Heads on base + desk labels (``weight``: per label, as many shipped rows; a
    correction's by default), and thresholds: where the queue begins (the bottom of the
    unsure band, else needs_reply) chosen on the desk labels' out-of-fold probabilities
    (``desk_threshold``), the confident bar kept at the same ratio above it, the praise
    bar and the other heads as shipped."""
    settings = settings or FitSettings()
    if weight is None:
        weight = np.full(len(y), WEIGHTS[CORRECTION], np.float32)
    oof = out_of_fold(base, x, y, settings, weight, progress)
    model = fit(_with_desk(base, x, y, weight), settings)
    if progress is not None:
        progress(3, 3)
    thresholds = dict(shipped)
    entry = queue_entry(shipped)
    cut = desk_threshold(y, oof, entry)
    thresholds["unsure" if "unsure" in shipped else "needs_reply"] = float(cut)
    if "unsure" in shipped and "needs_reply" in shipped:
        thresholds["needs_reply"] = float(cut * shipped["needs_reply"] / entry)
    return model, thresholds


def _thresholds(folder: Path) -> dict[str, float]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return dict(manifest.get("heads", {}).get("thresholds", {}))


def adapt(texts: list[str], values: list[int], mention_ids: list[int], shipped_dir: Path,
          data_dir: Path, *, kinds: list[str] | None = None,
          settings: FitSettings | None = None, progress: Progress | None = None,
          encoding: Progress | None = None, threads: int = 2) -> Outcome:
    """Refit on the desk's labels; switch to the new heads only if they are clearly
    better on the held-out labels. ``kinds`` says what each label is
    (``store.corrections``: correction, confirmation, uncontested; all corrections when
    None). ``shipped_dir`` holds the serving files and the shipped training sample;
    ``encoding`` and ``progress`` report the two slow parts, encoding and fitting."""
    _kinds(values, kinds)
    started = time.monotonic()
    x = head_inputs(encode(shipped_dir, texts, threads=threads, progress=encoding),
                    HEAD_INPUTS)
    outcome = adapt_vectors(x, values, mention_ids, shipped_dir, data_dir, kinds=kinds,
                            settings=settings, progress=progress)  # fmt: skip
    outcome.minutes = (time.monotonic() - started) / 60  # encoding included
    return outcome


def _kinds(values: list[int], kinds: list[str] | None) -> np.ndarray:
    """The labels' kinds; refuses too few corrections (confirmations and uncontested
    "no"s alone tell nothing the model got wrong)."""
    found = np.array([CORRECTION] * len(values) if kinds is None else kinds, dtype=object)
    corrections = int((found == CORRECTION).sum())
    if corrections < MIN_CORRECTIONS:
        raise AdaptError(f"{corrections} needs_reply corrections; adapting needs at least "
                         f"{MIN_CORRECTIONS}")
    return found


def adapt_vectors(x: np.ndarray, values: list[int], mention_ids: list[int],
                  shipped_dir: Path, data_dir: Path, *, kinds: list[str] | None = None,
                  settings: FitSettings | None = None, progress: Progress | None = None
                  ) -> Outcome:
    """``adapt`` on the labels' head inputs (already encoded)."""
    started = time.monotonic()
    found = _kinds(values, kinds)
    base_file = shipped_dir / ADAPT_BASE
    if not base_file.is_file():
        raise AdaptError(f"{base_file} is missing: the model ships no training sample")
    in_use = current_dir(data_dir) or shipped_dir
    with np.load(base_file) as stored:
        base = expand_base({k: stored[k] for k in stored.files})
    outcome, model = decide(base, x, np.array(values, np.int8), found, mention_ids,
                            load_heads(in_use), _thresholds(in_use), settings=settings,
                            progress=progress)  # fmt: skip
    if outcome.switched:
        outcome.directory, outcome.version = install(model, outcome.thresholds, shipped_dir,
                                                     data_dir, outcome)  # fmt: skip
    outcome.minutes = (time.monotonic() - started) / 60
    return outcome


def decide(base: Dataset, x: np.ndarray, y: np.ndarray, kinds: np.ndarray,
           mention_ids: list[int], in_use: Mlp, thresholds: dict[str, float], *,
           settings: FitSettings | None = None, progress: Progress | None = None
           ) -> tuple[Outcome, Mlp]:
    """The refit on the labels outside the held-out quarter, and whether to switch to
    it: only if it costs clearly less than the model in use on the held-out labels of
    every kind (``clearly_better``; every kind, so the model in use is judged on what
    it got right as well as on its mistakes, and a refit that says yes too often pays
    for it on the quiet traffic). ``switched`` says; nothing is written here."""
    held = np.array([is_held_out(m) for m in mention_ids])
    if held.all() or not held.any():
        raise AdaptError("the labels do not split into a training and a held-out part")
    weights = np.array([WEIGHTS[k] for k in kinds], np.float32)
    old_probs, old_cut = in_use.probs(x[held])[:, 0], queue_entry(thresholds)
    model, new = refit(base, x[~held], y[~held], thresholds, settings, progress,
                       weights[~held])  # fmt: skip
    new_probs, new_cut = model.probs(x[held])[:, 0], queue_entry(new)
    before = decision_figures(y[held], old_probs, old_cut)
    after = decision_figures(y[held], new_probs, new_cut)
    switched = clearly_better(mention_costs(y[held], old_probs, old_cut),
                              mention_costs(y[held], new_probs, new_cut))
    count = {k: int((kinds == k).sum()) for k in WEIGHTS}
    outcome = Outcome(count[CORRECTION], int(held.sum()), before, after,
                      switched=switched, thresholds=new,
                      confirmations=count[CONFIRMATION],
                      uncontested=count[UNCONTESTED])  # fmt: skip
    return outcome, model


def install(model: Mlp, thresholds: dict[str, float], shipped_dir: Path, data_dir: Path,
            outcome: Outcome) -> tuple[Path, str]:
    """A new versioned folder (heads, manifest, links to the shipped serving files) and
    the CURRENT pointer moved to it, atomically."""
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(root / f".staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    save_heads(model, staging)
    manifest = json.loads((shipped_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest.setdefault("heads", {})["thresholds"] = {k: round(v, 4)
                                                      for k, v in thresholds.items()}
    in_use = current_dir(data_dir) or shipped_dir
    manifest["adapted"] = {"from": in_use.name, "corrections": outcome.corrections,
                           "confirmations": outcome.confirmations,
                           "uncontested": outcome.uncontested,
                           "held_out": outcome.held_out, "before": outcome.before,
                           "after": outcome.after, "shipped_dir": str(shipped_dir)}  # fmt: skip
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n",
                                           encoding="utf-8")  # fmt: skip
    for source in sorted(shipped_dir.iterdir()):
        if source.is_file() and source.name not in OWN and not source.name.startswith("."):
            (staging / source.name).symlink_to(source.resolve())
    # The version the desk will serve it as and store in triage rows, so the folder's
    # name, this command's report and the rows agree.
    version = directory_version(staging)
    final = root / f"adapted-{version}"
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    pointer = root / f".{CURRENT}.tmp"
    pointer.write_text(final.name + "\n", encoding="utf-8")
    pointer.replace(root / CURRENT)
    return final, version


def summary(outcome: Outcome) -> list[str]:
    """What adapting did, in lines for the terminal."""

    def line(name: str, f: dict[str, Any]) -> str:
        return (f"{name}: recall {f['recall']:.3f}, false alarms {f['false_alarms']:.3f}, "
                f"accuracy {f['accuracy']:.3f}, cost {f['cost']:.3f}")

    lines = [f"{outcome.corrections} corrections, {outcome.confirmations} confirmations "
             f"(approved replies), {outcome.uncontested} uncontested; {outcome.held_out} "
             "held out to compare",
             line("before (model in use)", outcome.before), line("after (adapted)", outcome.after)]
    if outcome.switched:
        lines.append(f"switched to {outcome.directory} (version {outcome.version}); "
                     "reload the daemon to use it (systemctl reload mentiondesk, or "
                     "SIGHUP; a restart does too)")
    else:
        lines.append("refused: the adapted model is not clearly better on the held-out "
                     "labels; the model in use stays")
    lines.append(f"{outcome.minutes:.1f} minutes")
    return lines
