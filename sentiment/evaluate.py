"""Measure a sentiment classifier on labelled tweets.

Two formats are read: a TweetEval-style folder (``<split>_text.txt`` and
``<split>_labels.txt`` aligned by line, labels 0/1/2 = negative/neutral/positive)
and the airline CSV (``text`` and ``sentiment`` columns). The figures are the ones
the issue asks for: macro-averaged recall (TweetEval's official metric), accuracy,
per-class recall, negative-vs-rest precision/recall/F1 and the confusion matrix.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from core.errors import MentiondeskError
from sentiment.classifier import LABELS, Classifier

log = logging.getLogger(__name__)

AirlinePart = Literal["all", "train", "heldout"]
# Fixed share of the airline CSV kept out of training, chosen by a hash of the text
# so the split is the same on every machine and for every run.
AIRLINE_HELDOUT_PERCENT = 15
_SPLIT_PREFERENCE = ("test", "val", "validation", "dev", "train")


class DataError(MentiondeskError):
    """A labelled data set could not be read."""


@dataclass(frozen=True)
class Dataset:
    name: str
    texts: list[str]
    labels: list[str]


@dataclass(frozen=True)
class EvalReport:
    dataset: str
    n: int
    macro_recall: float
    accuracy: float
    recall: dict[str, float]
    negative_precision: float
    negative_recall: float
    negative_f1: float
    # confusion[gold][predicted], both in LABELS order
    confusion: list[list[int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def airline_is_heldout(text: str) -> bool:
    """True for the fixed evaluation share of the airline tweets."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < AIRLINE_HELDOUT_PERCENT


def load_airline(path: Path, part: AirlinePart = "all") -> Dataset:
    """Read the airline CSV; ``part`` picks the training or held-out share."""
    texts: list[str] = []
    labels: list[str] = []
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"text", "sentiment"} <= set(reader.fieldnames):
                raise DataError(f"{path}: a CSV needs 'text' and 'sentiment' columns")
            for line, row in enumerate(reader, start=2):
                label = (row["sentiment"] or "").strip().lower()
                if label not in LABELS:
                    raise DataError(f"{path}:{line}: unknown sentiment {row['sentiment']!r}")
                text = row["text"] or ""
                if part != "all" and airline_is_heldout(text) != (part == "heldout"):
                    continue
                texts.append(text)
                labels.append(label)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    suffix = "" if part == "all" else f" ({part})"
    return Dataset(f"{path.name}{suffix}", texts, labels)


def tweeteval_splits(folder: Path) -> list[str]:
    """The splits a TweetEval-style folder holds, e.g. ['train', 'val']."""
    return sorted(
        p.name[: -len("_text.txt")]
        for p in folder.glob("*_text.txt")
        if (folder / p.name.replace("_text.txt", "_labels.txt")).is_file()
    )


def load_tweeteval(folder: Path, split: str | None = None) -> Dataset:
    """Read one split; without ``split`` the folder's only or most test-like split."""
    splits = tweeteval_splits(folder)
    if split is None:
        if not splits:
            raise DataError(f"{folder}: no <split>_text.txt and <split>_labels.txt pair")
        split = next((s for s in _SPLIT_PREFERENCE if s in splits), splits[0])
    elif split not in splits:
        raise DataError(f"{folder}: no split {split!r} (found: {', '.join(splits) or 'none'})")
    text_path, label_path = folder / f"{split}_text.txt", folder / f"{split}_labels.txt"
    try:
        texts = text_path.read_text(encoding="utf-8").rstrip("\n").split("\n")
        raw = label_path.read_text(encoding="utf-8").split()
    except OSError as exc:
        raise DataError(f"cannot read {folder}: {exc.strerror}") from exc
    if len(texts) != len(raw):
        raise DataError(f"{folder}: {split} has {len(texts)} texts but {len(raw)} labels")
    try:
        labels = [LABELS[int(x)] for x in raw]
    except (ValueError, IndexError) as exc:
        raise DataError(f"{label_path}: labels must be 0, 1 or 2") from exc
    return Dataset(f"{folder.name}/{split}", texts, labels)


def load_dataset(
    path: Path, *, split: str | None = None, part: AirlinePart = "all"
) -> Dataset:
    """A TweetEval folder (or one of its ``*_text.txt`` files) or an airline-style CSV."""
    path = Path(path)
    if path.is_dir():
        return load_tweeteval(path, split)
    if path.name.endswith("_text.txt"):
        return load_tweeteval(path.parent, path.name[: -len("_text.txt")])
    if path.suffix.lower() == ".csv":
        return load_airline(path, part)
    if not path.exists():
        raise DataError(f"{path} does not exist")
    raise DataError(f"{path}: expected a TweetEval folder or a CSV with text,sentiment")


def compute_metrics(gold: Sequence[str], predicted: Sequence[str], name: str = "") -> EvalReport:
    """All figures from gold and predicted labels (pure: no model needed)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    index = {label: i for i, label in enumerate(LABELS)}
    confusion = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, predicted, strict=True):
        confusion[index[g]][index[p]] += 1
    recall = {}
    for i, label in enumerate(LABELS):
        support = sum(confusion[i])
        recall[label] = confusion[i][i] / support if support else 0.0
    present = [label for i, label in enumerate(LABELS) if sum(confusion[i])]
    n = len(gold)
    neg = index["negative"]
    tp = confusion[neg][neg]
    predicted_neg = sum(row[neg] for row in confusion)
    precision = tp / predicted_neg if predicted_neg else 0.0
    neg_recall = recall["negative"]
    f1 = 2 * precision * neg_recall / (precision + neg_recall) if precision + neg_recall else 0.0
    return EvalReport(
        dataset=name,
        n=n,
        macro_recall=sum(recall[x] for x in present) / len(present) if present else 0.0,
        accuracy=sum(confusion[i][i] for i in range(len(LABELS))) / n if n else 0.0,
        recall=recall,
        negative_precision=precision,
        negative_recall=neg_recall,
        negative_f1=f1,
        confusion=confusion,
    )


def evaluate(classifier: Classifier, dataset: Dataset, batch_size: int = 256) -> EvalReport:
    """Run ``classifier`` over the data set and score it."""
    predicted: list[str] = []
    for start in range(0, len(dataset.texts), batch_size):
        chunk = dataset.texts[start : start + batch_size]
        predicted.extend(p.label for p in classifier.classify(chunk))
    return compute_metrics(dataset.labels, predicted, dataset.name)


def format_report(report: EvalReport) -> str:
    """Plain text for the terminal and for docs."""
    lines = [
        f"data set:           {report.dataset} ({report.n} texts)",
        f"macro recall:       {report.macro_recall:.4f}",
        f"accuracy:           {report.accuracy:.4f}",
        "recall per class:   "
        + "  ".join(f"{label} {report.recall[label]:.4f}" for label in LABELS),
        f"negative vs rest:   precision {report.negative_precision:.4f}  "
        f"recall {report.negative_recall:.4f}  F1 {report.negative_f1:.4f}",
        "confusion (rows gold, columns predicted):",
        "            " + "".join(f"{label:>10}" for label in LABELS),
    ]
    for label, row in zip(LABELS, report.confusion, strict=True):
        lines.append(f"  {label:>9} " + "".join(f"{count:>10}" for count in row))
    return "\n".join(lines)


@dataclass(frozen=True)
class BinaryReport:
    """A yes/no head at one threshold: the figures triage cares about."""

    head: str
    n: int
    threshold: float
    precision: float
    recall: float
    f1: float
    false_alarm_rate: float  # share of the true "no" cases flagged yes
    macro_recall: float  # mean of the yes and no recalls
    confusion: list[list[int]]  # [[tn, fp], [fn, tp]]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def binary_metrics(
    head: str, gold: Sequence[int], probs: Sequence[float], threshold: float
) -> BinaryReport:
    """Precision, recall, F1, false-alarm rate and confusion of ``probs >= threshold``."""
    tp = fp = fn = tn = 0
    for g, p in zip(gold, probs, strict=True):
        yes = p >= threshold
        if g and yes:
            tp += 1
        elif g:
            fn += 1
        elif yes:
            fp += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    no_recall = tn / (tn + fp) if tn + fp else 0.0
    return BinaryReport(
        head=head, n=len(gold), threshold=round(threshold, 4), precision=precision,
        recall=recall, f1=f1, false_alarm_rate=fp / (fp + tn) if fp + tn else 0.0,
        macro_recall=(recall + no_recall) / 2, confusion=[[tn, fp], [fn, tp]],
    )  # fmt: skip


def threshold_for_recall(gold: Sequence[int], probs: Sequence[float], target: float) -> float:
    """The highest threshold whose recall reaches ``target``: the fewest false alarms
    at that recall (ties broken towards the higher threshold)."""
    positives = sorted((p for g, p in zip(gold, probs, strict=True) if g), reverse=True)
    if not positives:
        return 0.5
    needed = max(1, math.ceil(target * len(positives)))
    return positives[needed - 1]


def threshold_for_f1(gold: Sequence[int], probs: Sequence[float]) -> float:
    """The threshold with the best F1 (for heads without a recall target)."""
    candidates = sorted(set(round(p, 4) for p in probs)) or [0.5]
    return max(candidates, key=lambda t: (binary_metrics("", gold, probs, t).f1, -t))


def format_binary(report: BinaryReport) -> str:
    (tn, fp), (fn, tp) = report.confusion
    return (f"{report.head:<12} n {report.n:>5}  threshold {report.threshold:.3f}  "
            f"precision {report.precision:.3f}  recall {report.recall:.3f}  "
            f"F1 {report.f1:.3f}  false alarms {report.false_alarm_rate:.3f}  "
            f"macro recall {report.macro_recall:.3f}  [tn {tn} fp {fp} / fn {fn} tp {tp}]")
