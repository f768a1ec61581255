"""Train the triage heads on many sources, and measure them on sources they never saw.

The encoder stays fixed (its int8 ONNX serving file gives every text's ``features`` and
``sentence`` vectors, cached once); only the heads are trained here, a small MLP
(``hidden.weight``, ``hidden.bias``, ``out.weight``, ``out.bias``, exact GELU) over the
concatenated inputs, in numpy: seconds per fit, so it can be fitted once per held-out
source, and ``main.py model adapt`` can refit it on a desk's own corrections without
torch.

Validation is by source (issue 17): each source is held out in turn and predicted by
heads trained on all the others; TWCS care traffic is held out by whole brands (five
folds of brands). Thresholds are chosen on those out-of-source predictions only:
needs_reply on the held-out brands' answered first contacts (the closest thing to the
desk's real job), the other heads on the pooled out-of-source predictions.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sentiment.activations import gelu, gelu_grad, sigmoid, softmax
from sentiment.classifier import HEADS
from sentiment.encoder import HEADS_FILE
from sentiment.train_data import ABOUT_BRANDS, UNKNOWN, Row

log = logging.getLogger(__name__)

NEEDS_REPLY_RECALL = 0.975  # aimed at on unseen brands' first contacts (target 0.97)
BRAND_FOLDS = 5
Progress = Callable[[int, int], None]


Output = Literal["sigmoid", "softmax"]


@dataclass
class Mlp:
    """The heads: inputs -> hidden (exact GELU) -> one logit per head. The inputs are
    standardised inside the first layer (folded into its weights when saved). With
    ``output = "softmax"`` the outputs are one choice among classes (the tone head:
    negative, neutral, positive) instead of independent yes/no heads."""

    hidden_w: np.ndarray  # [hidden, inputs]
    hidden_b: np.ndarray
    out_w: np.ndarray  # [heads, hidden]
    out_b: np.ndarray
    names: tuple[str, ...] = HEADS
    output: Output = "sigmoid"

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = x @ self.hidden_w.T + self.hidden_b
        return gelu(h) @ self.out_w.T + self.out_b

    def probs(self, x: np.ndarray) -> np.ndarray:
        return _activate(self.logits(x), self.output)

    def tensors(self) -> dict[str, np.ndarray]:
        return {"hidden.weight": self.hidden_w, "hidden.bias": self.hidden_b,
                "out.weight": self.out_w, "out.bias": self.out_b}  # fmt: skip


def _activate(logits: np.ndarray, output: Output) -> np.ndarray:
    return softmax(logits) if output == "softmax" else sigmoid(logits)



@dataclass
class FitSettings:
    """How the heads are fitted; the defaults are what the shipped heads used."""

    hidden: int = 96
    components: int = 192  # inputs projected on their top principal components first
    epochs: int = 15
    batch: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-3
    dropout: float = 0.1
    seed: int = 13
    members: int = 10  # fits with seeds seed, seed+1, ... whose logits are averaged (docs/model.md)


@dataclass
class Dataset:
    """Inputs and targets aligned by row; ``targets`` is UNKNOWN where a source is silent."""

    x: np.ndarray  # [n, inputs] float32
    targets: np.ndarray  # [n, heads] int8: 1, 0 or UNKNOWN
    weights: np.ndarray  # [n] float32: how much each row counts
    sources: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def subset(self, index: np.ndarray) -> Dataset:
        return Dataset(self.x[index], self.targets[index], self.weights[index],
                       [self.sources[i] for i in index], [self.groups[i] for i in index])


def row_weights(sources: Sequence[str]) -> np.ndarray:
    """1/sqrt(rows of its source) per row, scaled to mean 1: a big source counts more
    than a small one, but not in proportion, so no single source's habits dominate."""
    names, counts = np.unique(np.asarray(sources), return_counts=True)
    size = dict(zip(names, counts, strict=True))
    w = np.array([1.0 / np.sqrt(size[s]) for s in sources], dtype=np.float32)
    return w / w.mean()


def fit(data: Dataset, settings: FitSettings | None = None,
        progress: Progress | None = None, output: Output = "sigmoid",
        names: tuple[str, ...] = HEADS) -> Mlp:
    """An ensemble of ``members`` fits from different seeds, averaged in logit space and
    stored as one wider MLP (their hidden layers side by side, output weights divided by
    the number of members), so serving reads it like a single one. Averaging smooths
    what one seed happens to learn about a source: on held-out sources it sent less
    praise to the queue at the same recall (docs/model.md). ``output`` and ``names`` as
    in ``_fit_one``."""
    s = settings or FitSettings()
    members = [_fit_one(data, s, s.seed + k,
                        None if progress is None else _member_progress(progress, k, s),
                        output, names)
               for k in range(max(1, s.members))]  # fmt: skip
    if len(members) == 1:
        return members[0]
    return Mlp(np.concatenate([m.hidden_w for m in members]),
               np.concatenate([m.hidden_b for m in members]),
               np.concatenate([m.out_w for m in members], axis=1) / len(members),
               np.mean([m.out_b for m in members], axis=0).astype(np.float32),
               names, output)


def _member_progress(progress: Progress, member: int, s: FitSettings) -> Progress:
    """Epochs of one member reported as epochs of the whole ensemble."""
    total = s.epochs * max(1, s.members)
    return lambda done, _epochs: progress(member * s.epochs + done, total)


def _fit_one(data: Dataset, s: FitSettings, seed: int, progress: Progress | None,
             output: Output = "sigmoid", names: tuple[str, ...] = HEADS) -> Mlp:
    """One MLP fitted by Adam on masked, weighted binary cross-entropy with positives
    up-weighted by the square root of each head's negative/positive ratio; with
    ``output = "softmax"`` one class per row (``targets`` one-hot, a row's classes all
    UNKNOWN where its source is silent) by weighted cross-entropy, the balance between
    classes left to ``data.weights``. Both losses have the same gradient form, p - y."""
    rng = np.random.default_rng(seed)
    x = data.x.astype(np.float32)
    mean, std = x.mean(0), x.std(0) + 1e-6
    basis = _principal_axes((x - mean) / std, s.components, rng)
    x = ((x - mean) / std) @ basis  # [n, components]: 6x less arithmetic per epoch
    n, d = x.shape
    k = data.targets.shape[1]
    known = (data.targets != UNKNOWN).astype(np.float32)
    y = np.where(data.targets == 1, 1.0, 0.0).astype(np.float32)
    pos = (y * known).sum(0)
    neg = ((1 - y) * known).sum(0)
    pos_weight = np.sqrt(np.maximum(neg, 1) / np.maximum(pos, 1)).astype(np.float32)
    if output == "softmax":
        pos_weight = np.ones(k, np.float32)
        known[:] = known.min(axis=1, keepdims=True)  # a row counts whole or not at all
    params = {
        "hw": (rng.standard_normal((s.hidden, d)) * np.sqrt(2.0 / d)).astype(np.float32),
        "hb": np.zeros(s.hidden, np.float32),
        "ow": (rng.standard_normal((k, s.hidden)) * np.sqrt(1.0 / s.hidden)).astype(np.float32),
        "ob": np.zeros(k, np.float32),
    }
    m = {name: np.zeros_like(v) for name, v in params.items()}
    v2 = {name: np.zeros_like(v) for name, v in params.items()}
    steps = s.epochs * ((n + s.batch - 1) // s.batch)
    step = 0
    for _epoch in range(s.epochs):
        order = rng.permutation(n)
        for start in range(0, n, s.batch):
            idx = order[start:start + s.batch]
            xb = x[idx]
            if s.dropout:
                xb = xb * (rng.random(xb.shape) >= s.dropout) / (1.0 - s.dropout)
            pre = xb @ params["hw"].T + params["hb"]
            act = gelu(pre)
            logit = act @ params["ow"].T + params["ob"]
            p = _activate(logit, output)
            yb, kb = y[idx], known[idx]
            wb = kb * data.weights[idx, None] * np.where(yb == 1, pos_weight, 1.0)
            norm = max(float(kb.sum()) / (k if output == "softmax" else 1), 1.0)
            grad_logit = (p - yb) * wb / norm
            grads = {
                "ow": grad_logit.T @ act,
                "ob": grad_logit.sum(0),
            }
            grad_pre = (grad_logit @ params["ow"]) * gelu_grad(pre)
            grads["hw"] = grad_pre.T @ xb
            grads["hb"] = grad_pre.sum(0)
            step += 1
            lr = s.lr * min(1.0, 2.0 * (1.0 - step / steps) + 0.05)
            for name, g in grads.items():
                if name in ("hw", "ow"):
                    g = g + s.weight_decay * params[name]
                m[name] = 0.9 * m[name] + 0.1 * g
                v2[name] = 0.999 * v2[name] + 0.001 * g * g
                mhat = m[name] / (1 - 0.9 ** step)
                vhat = v2[name] / (1 - 0.999 ** step)
                params[name] -= lr * mhat / (np.sqrt(vhat) + 1e-8)
        if progress is not None:
            progress(_epoch + 1, s.epochs)
    # Fold the projection and the standardisation into the first layer: the saved heads
    # read the raw inputs.
    hw = (params["hw"] @ basis.T) / std
    hb = params["hb"] - hw @ mean
    return Mlp(hw.astype(np.float32), hb.astype(np.float32), params["ow"], params["ob"],
               names, output)


def save_heads(model: Mlp, directory: Path) -> Path:
    """The heads as serving reads them (``sentiment.encoder.NumpyHeads``), fp32."""
    from safetensors.numpy import save_file

    path = Path(directory) / HEADS_FILE
    tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in model.tensors().items()}
    save_file(tensors, str(path), metadata={"names": ",".join(model.names)})
    return path


def load_heads(directory: Path) -> Mlp:
    """Heads saved by ``save_heads`` (or shipped), to refit from or measure."""
    from safetensors.numpy import load_file

    t = load_file(str(Path(directory) / HEADS_FILE))
    f = {k: v.astype(np.float32) for k, v in t.items()}
    return Mlp(f["hidden.weight"], f["hidden.bias"], f["out.weight"], f["out.bias"])


def _principal_axes(x: np.ndarray, k: int, rng: np.random.Generator, sample: int = 3000
                    ) -> np.ndarray:
    """[inputs, k]: the top ``k`` principal axes of (a sample of) the training inputs."""
    if k <= 0 or k >= x.shape[1]:
        return np.eye(x.shape[1], dtype=np.float32)
    rows = x if len(x) <= sample else x[rng.choice(len(x), sample, replace=False)]
    cov = rows.T @ rows / len(rows)
    _values, vectors = np.linalg.eigh(cov.astype(np.float64))
    return vectors[:, ::-1][:, :k].astype(np.float32)


def brand_fold(group: str) -> int:
    """The fold (0..BRAND_FOLDS-1) of a care brand, by a hash of its name."""
    return hashlib.sha1(group.encode()).digest()[0] % BRAND_FOLDS


def holdouts(data: Dataset) -> list[tuple[str, np.ndarray]]:
    """(name, mask of held-out rows) per held-out unit: each non-brand source alone, and
    each fold of care brands (every source grouped by brand, together)."""
    groups = np.asarray(data.groups)
    sources = np.asarray(data.sources)
    branded = np.array([":" in g for g in data.groups])
    units = []
    for fold in range(BRAND_FOLDS):
        mask = branded & np.array([brand_fold(g) == fold for g in groups])
        if mask.any():
            units.append((f"brands fold {fold}", mask))
    for source in sorted(set(sources[~branded])):
        units.append((source, (sources == source) & ~branded))
    return units


def out_of_source(data: Dataset, settings: FitSettings | None = None,
                  progress: Progress | None = None, only: set[str] | None = None,
                  output: Output = "sigmoid") -> np.ndarray:
    """Every row's head probabilities from heads that never saw its source (or brand).
    With ``only`` (source names, "brands" for the brand folds) the other units are not
    fitted and keep NaN: a quicker look at a few sources."""
    units = [(name, mask) for name, mask in holdouts(data)
             if only is None or name in only or (name.startswith("brands") and "brands" in only)]
    probs = np.full(data.targets.shape, np.nan if only else 0.0, np.float32)
    for i, (name, mask) in enumerate(units):
        log.info("held out: %s (%d rows)", name, int(mask.sum()))
        model = fit(data.subset(np.flatnonzero(~mask)), settings, output=output)
        probs[mask] = model.probs(data.x[mask])
        if progress is not None:
            progress(i + 1, len(units))
    return probs


def recall_threshold(scores: np.ndarray, recall: float) -> float:
    """The highest threshold that still finds ``recall`` of the positives scored."""
    if not len(scores):
        return 0.5
    ordered = np.sort(scores)
    miss = int(np.floor((1.0 - recall) * len(ordered)))
    return float(ordered[min(miss, len(ordered) - 1)])


def f1_threshold(gold: np.ndarray, scores: np.ndarray) -> float:
    """The threshold with the best mean of the yes and no F1 (macro-F1)."""
    best, best_t = -1.0, 0.5
    for t in np.linspace(0.05, 0.95, 91):
        f = macro_f1(gold, scores >= t)
        if f > best:
            best, best_t = f, float(t)
    return best_t


def macro_f1(gold: np.ndarray, said: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The mean of the yes and no F1; ``weight`` per row (e.g. to read a set at another
    share of positives), else every row counts once."""
    gold = gold.astype(bool)
    said = said.astype(bool)
    w = np.ones(len(gold)) if weight is None else np.asarray(weight, np.float64)
    scores = []
    for positive in (True, False):
        g, s = gold == positive, said == positive
        tp = float(w[g & s].sum())
        denom = float(w[g].sum() + w[s].sum())
        scores.append(2 * tp / denom if denom else 1.0)
    return sum(scores) / 2


def care_first_contacts(data: Dataset) -> np.ndarray:
    """Rows that are care traffic's answered first contacts (the needs_reply stand-in)."""
    return np.array([s == "twcs" for s in data.sources])


def choose_thresholds(data: Dataset, probs: np.ndarray, exclude: np.ndarray | None = None
                      ) -> dict[str, float]:
    """Thresholds from out-of-source probabilities, ignoring rows in ``exclude``:
    needs_reply so that NEEDS_REPLY_RECALL of the held-out brands' first contacts are
    found; complaint at its best macro-F1 over the sources about brands (ABOUT_BRANDS:
    what a desk receives); spam and sarcasm over every source that labels them."""
    keep = np.ones(len(data.sources), bool) if exclude is None else ~exclude
    keep &= ~np.isnan(probs[:, 0])  # units not fitted (``out_of_source(only=...)``)
    about = np.isin(np.asarray(data.sources), list(ABOUT_BRANDS))
    out = {}
    for j, head in enumerate(HEADS):
        known = keep & (data.targets[:, j] != UNKNOWN)
        if head == "complaint" and (known & about).any():
            known &= about
        if head == "needs_reply":
            care = known & care_first_contacts(data) & (data.targets[:, j] == 1)
            out[head] = recall_threshold(probs[care, j], NEEDS_REPLY_RECALL)
        else:
            out[head] = f1_threshold(data.targets[known, j] == 1, probs[known, j])
    return out


def by_source_table(data: Dataset, probs: np.ndarray) -> list[dict[str, object]]:
    """One row per (held-out unit, head it labels): n, positives, recall, false alarms,
    macro-F1, at thresholds chosen without that unit (so no figure is tuned on itself)."""
    table = []
    for name, mask in holdouts(data):
        if np.isnan(probs[mask, 0]).any():
            continue  # not fitted
        thresholds = choose_thresholds(data, probs, exclude=mask)
        for j, head in enumerate(HEADS):
            known = mask & (data.targets[:, j] != UNKNOWN)
            if known.sum() < 20:
                continue
            gold = data.targets[known, j] == 1
            said = probs[known, j] >= thresholds[head]
            positives, negatives = int(gold.sum()), int((~gold).sum())
            table.append({
                "source": name, "head": head, "n": int(known.sum()), "positives": positives,
                "threshold": round(thresholds[head], 4),
                "recall": float((said & gold).sum() / positives) if positives else None,
                "false_alarms": float((said & ~gold).sum() / negatives) if negatives else None,
                "macro_f1": macro_f1(gold, said) if positives and negatives else None,
            })  # fmt: skip
    return table


def dataset_from(rows: Sequence[Row], inputs: np.ndarray) -> Dataset:
    targets = np.array([r.answers for r in rows], dtype=np.int8)
    sources = [r.source for r in rows]
    return Dataset(inputs.astype(np.float32), targets, row_weights(sources), sources,
                   [r.group for r in rows])


ADAPT_BASE = "adapt_base.npz"  # shipped training inputs that adapt refits on
ADAPT_BASE_ROWS = 4000


def compact_base(data: Dataset, rows: int = ADAPT_BASE_ROWS, seed: int = 13
                 ) -> dict[str, np.ndarray]:
    """A sample of the training inputs, int8 with one scale per input column, small
    enough to ship (``rows`` x inputs bytes): ``main.py model adapt`` refits the heads on
    it plus a desk's corrections, so what the shipped heads learned is not forgotten.
    The sample is stratified by source so every source keeps its voice."""
    rng = np.random.default_rng(seed)
    sources = np.asarray(data.sources)
    names = sorted(set(data.sources))
    per = max(1, rows // len(names))
    picked = []
    for name in names:
        index = np.flatnonzero(sources == name)
        picked += list(rng.choice(index, size=min(per, len(index)), replace=False))
    chosen = np.array(sorted(picked))
    x = data.x[chosen]
    scale = np.abs(x).max(0) / 127.0 + 1e-12
    return {"x": np.round(x / scale).astype(np.int8), "scale": scale.astype(np.float32),
            "targets": data.targets[chosen], "sources": sources[chosen].astype("U24")}


def expand_base(stored: dict[str, np.ndarray]) -> Dataset:
    """The shipped sample back as a Dataset (inputs de-quantised)."""
    x = stored["x"].astype(np.float32) * stored["scale"]
    sources = [str(s) for s in stored["sources"]]
    return Dataset(x, stored["targets"].astype(np.int8), row_weights(sources), sources,
                   list(sources))
