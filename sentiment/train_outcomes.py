"""Train and measure the outcome head (``main.py model outcomes``).

Splits hold out whole brands, so a figure says how the decision does on a company it
never saw: a brand whose SHA-1 starts with 7, e or f is test (never tuned on), 0, c or
d is validation (the L2 strength and the closing threshold are chosen there),
everything else trains; follow-ups naming no brand (``unknown``) always train. The
shipped head is refitted on train + validation with the chosen settings.

The head is plain numpy: full-batch gradient descent on class-weighted softmax cross-
entropy with L2, over standardised [sentence vector, rule features]. A few hundred
examples of 394 features train in seconds on one core.

The closing threshold is the lowest P(resolved) at which the decision (rules included)
closes no more than ``MAX_FALSE_CLOSURE`` of the validation brands' conversations that
still need us: biased towards not closing, since a wrongly closed conversation is a
customer we stop answering.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.activations import softmax
from sentiment.outcome_labels import BLIND_FILE, Labelled, join
from sentiment.outcomes import (
    OUTCOMES,
    RESOLVED,
    SATISFACTION,
    Embeds,
    Head,
    decide_one,
    features,
    mask,
    rule_hits,
)

TEST_DIGITS, VAL_DIGITS = "7ef", "0cd"
MAX_FALSE_CLOSURE = 0.03  # on validation; the target on held-out brands is 5%
L2_GRID = (10.0, 30.0, 100.0, 300.0, 1000.0)
STEPS = 600


def split_of(brand: str) -> str:
    if brand == "unknown":
        return "train"
    digit = hashlib.sha1(brand.encode()).hexdigest()[0]
    return "test" if digit in TEST_DIGITS else "val" if digit in VAL_DIGITS else "train"


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, l2: float,
                steps: int = STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Class-weighted multinomial logistic regression (weights, bias) on standardised x."""
    n, d = x.shape
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    weight = (n / (classes * np.maximum(counts, 1)))[y]
    target = np.eye(classes)[y]
    w, b = np.zeros((d, classes)), np.zeros(classes)
    velocity_w, velocity_b = np.zeros_like(w), np.zeros_like(b)
    rate = 0.5
    for _ in range(steps):
        p = softmax(x @ w + b)
        grad = (p - target) * weight[:, None] / weight.sum()
        gw = x.T @ grad + l2 * w / n
        gb = grad.sum(0)
        velocity_w = 0.9 * velocity_w - rate * gw
        velocity_b = 0.9 * velocity_b - rate * gb
        w += velocity_w
        b += velocity_b
    return w.astype(np.float32), b.astype(np.float32)


@dataclass
class Data:
    rows: list[Labelled]
    x: np.ndarray
    outcome: np.ndarray
    satisfaction: np.ndarray
    split: np.ndarray  # train / val / test per row


def load_data(embedder: Embeds, labels: Path | None = None) -> Data:
    rows = join(labels) if labels else join()
    x = features(embedder, [r.follow_up.text for r in rows],
                 [r.follow_up.reply for r in rows])
    return Data(rows, x,
                np.array([OUTCOMES.index(r.outcome) for r in rows]),
                np.array([SATISFACTION.index(r.satisfaction) for r in rows]),
                np.array([split_of(r.follow_up.brand) for r in rows]))


def train_head(x: np.ndarray, outcome: np.ndarray, satisfaction: np.ndarray, l2: float,
               threshold: float, version: str) -> Head:
    """Both layers on standardised x; a label of -1 (an agent corrected only the other
    field) leaves that row out of that layer."""
    mean = x.mean(0)
    scale = x.std(0) + 1e-3
    z = (x - mean) / scale
    known_o, known_s = outcome >= 0, satisfaction >= 0
    ow, ob = fit_softmax(z[known_o], outcome[known_o], len(OUTCOMES), l2)
    sw, sb = fit_softmax(z[known_s], satisfaction[known_s], len(SATISFACTION), l2)
    return Head(mean, scale, ow, ob, sw, sb, threshold, version)


@dataclass(frozen=True)
class Correction:
    """An agent's correction as a training example (``store.outcomes.corrections``):
    the customer's words, our reply, and the corrected outcome and/or satisfaction."""

    customer: str
    reply: str
    outcome: str | None = None
    satisfaction: str | None = None


def from_corrections(rows: Sequence[dict]) -> list[Correction]:
    """The latest value per conversation and field, for messages with words (a silence
    corrected teaches the text head nothing), as ``Correction`` examples."""
    latest: dict[str, dict[str, str]] = {}
    texts: dict[str, tuple[str, str]] = {}
    for row in rows:  # oldest first: later corrections win
        if not row["customer"].strip() or row["value"] not in (*OUTCOMES, *SATISFACTION):
            continue
        latest.setdefault(row["conversation"], {})[row["field"]] = row["value"]
        texts[row["conversation"]] = (row["customer"], row["reply"])
    return [Correction(texts[c][0], texts[c][1], fields.get("outcome"),
                       fields.get("satisfaction")) for c, fields in latest.items()]


def decisions(head: Head, data: Data, mask_rows: np.ndarray,
              threshold: float | None = None) -> list[str]:
    """The full decision (rules + head) on the chosen rows."""
    p_out, p_sat = head.probabilities(data.x[mask_rows])
    rows = [r for r, keep in zip(data.rows, mask_rows, strict=True) if keep]
    t = head.resolve_threshold if threshold is None else threshold
    return [decide_one(po, ps, rule_hits(r.follow_up.text, mask(r.follow_up.reply)), t)[0]
            for po, ps, r in zip(p_out, p_sat, rows, strict=True)]


def false_closure(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """(share of conversations that still need us called resolved, share of resolved
    calls that still needed us)."""
    needing = [p for t, p in zip(truth, predicted, strict=True) if t != RESOLVED]
    closed = [t for t, p in zip(truth, predicted, strict=True) if p == RESOLVED]
    rate = sum(p == RESOLVED for p in needing) / max(1, len(needing))
    wrong = sum(t != RESOLVED for t in closed) / max(1, len(closed))
    return rate, wrong


def per_class(truth: Sequence[str], predicted: Sequence[str],
              classes: Sequence[str]) -> dict[str, dict[str, float]]:
    out = {}
    for c in classes:
        tp = sum(t == c and p == c for t, p in zip(truth, predicted, strict=True))
        n_pred = sum(p == c for p in predicted)
        n_true = sum(t == c for t in truth)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_true if n_true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[c] = {"precision": precision, "recall": recall, "f1": f1, "n": n_true}
    return out


def macro_f1(table: dict[str, dict[str, float]]) -> float:
    return float(np.mean([v["f1"] for v in table.values()]))


def choose_threshold(head: Head, data: Data, rows: np.ndarray) -> float:
    truth = [OUTCOMES[i] for i in data.outcome[rows]]
    for t in np.arange(0.30, 0.96, 0.025):
        if false_closure(truth, decisions(head, data, rows, float(t)))[0] <= MAX_FALSE_CLOSURE:
            return round(float(t), 3)
    return 0.95


def run(embedder: Embeds, version: str, corrections: Sequence[Correction] = ()
        ) -> tuple[Head, dict[str, object]]:
    """Choose L2 and the threshold on validation brands, report test brands, refit on
    train + validation (+ agents' ``corrections``, which never enter a measured split);
    returns the head to ship and the figures."""
    data = load_data(embedder)
    train, val, test = (data.split == s for s in ("train", "val", "test"))
    best = None
    for l2 in L2_GRID:
        head = train_head(data.x[train], data.outcome[train], data.satisfaction[train],
                          l2, 0.5, version)
        threshold = choose_threshold(head, data, val)
        truth = [OUTCOMES[i] for i in data.outcome[val]]
        score = macro_f1(per_class(truth, decisions(head, data, val, threshold), OUTCOMES))
        sat_truth = data.satisfaction[val]
        sat_pred = head.probabilities(data.x[val])[1].argmax(1)
        score += macro_f1(per_class(sat_truth.tolist(), sat_pred.tolist(), range(3)))
        if best is None or score > best[0]:
            best = (score, l2, threshold)
    _, l2, threshold = best
    measured = train_head(data.x[train], data.outcome[train], data.satisfaction[train], l2,
                          threshold, version)
    report = evaluate(measured, data, test)
    report.update(l2=l2, threshold=threshold, sizes={s: int((data.split == s).sum())
                                                     for s in ("train", "val", "test")},
                  test_brands=sorted({r.follow_up.brand for r, s in
                                      zip(data.rows, data.split, strict=True) if s == "test"}))
    report["folds"] = grouped_folds(data, l2, threshold, version)
    fit = train | val
    x, outcome, satisfaction = data.x[fit], data.outcome[fit], data.satisfaction[fit]
    if corrections:
        x = np.concatenate([x, features(embedder, [c.customer for c in corrections],
                                        [mask(c.reply) for c in corrections])])
        outcome = np.concatenate([outcome, [OUTCOMES.index(c.outcome) if c.outcome in
                                            OUTCOMES else -1 for c in corrections]])
        satisfaction = np.concatenate([satisfaction, [
            SATISFACTION.index(c.satisfaction) if c.satisfaction else -1
            for c in corrections]])
    report["corrections"] = len(corrections)
    shipped = train_head(x, outcome.astype(int), satisfaction.astype(int), l2, threshold,
                         version)
    if BLIND_FILE.is_file():
        blind = load_data(embedder, BLIND_FILE)
        everything = np.ones(len(blind.rows), dtype=bool)
        report["blind"] = evaluate(shipped, blind, everything)
        unseen = blind.split == "test"  # brands the shipped head never trained on
        report["blind_unseen_brands"] = evaluate(shipped, blind, unseen)
    return shipped, report


def evaluate(head: Head, data: Data, rows: np.ndarray) -> dict[str, object]:
    truth = [OUTCOMES[i] for i in data.outcome[rows]]
    predicted = decisions(head, data, rows)
    head_only = [OUTCOMES[i] for i in head.probabilities(data.x[rows])[0].argmax(1)]
    sat_truth = [SATISFACTION[i] for i in data.satisfaction[rows]]
    sat_pred = [SATISFACTION[i] for i in head.probabilities(data.x[rows])[1].argmax(1)]
    rate, wrong = false_closure(truth, predicted)
    return {
        "n": len(truth),
        "outcome": per_class(truth, predicted, OUTCOMES),
        "outcome_accuracy": float(np.mean([t == p for t, p in zip(truth, predicted,
                                                                   strict=True)])),
        "head_only": per_class(truth, head_only, OUTCOMES),
        "head_only_false_closure": false_closure(truth, head_only),
        "false_closure": rate, "wrong_closures": wrong,
        "closed": sum(p == RESOLVED for p in predicted),
        "satisfaction": per_class(sat_truth, sat_pred, SATISFACTION),
        "satisfaction_accuracy": float(np.mean([t == p for t, p in zip(
            sat_truth, sat_pred, strict=True)])),
    }


def grouped_folds(data: Data, l2: float, threshold: float, version: str,
                  folds: int = 5) -> dict[str, float]:
    """Every named brand held out once (brands dealt to folds by hash): the false-closure
    rate and outcome macro-F1 over all of them, a steadier figure than one test split."""
    fold = np.array([-1 if r.follow_up.brand == "unknown" else
                     int(hashlib.sha1(r.follow_up.brand.encode()).hexdigest(), 16) % folds
                     for r in data.rows])
    truth: list[str] = []
    predicted: list[str] = []
    for k in range(folds):
        held = fold == k
        head = train_head(data.x[~held], data.outcome[~held], data.satisfaction[~held], l2,
                          threshold, version)
        truth += [OUTCOMES[i] for i in data.outcome[held]]
        predicted += decisions(head, data, held)
    rate, wrong = false_closure(truth, predicted)
    return {"n": len(truth), "false_closure": rate, "wrong_closures": wrong,
            "macro_f1": macro_f1(per_class(truth, predicted, OUTCOMES))}


def format_report(report: dict[str, object]) -> str:
    """The figures as the lines docs/model.md quotes."""
    lines = [f"splits (whole brands): {report['sizes']}; L2 {report['l2']}, "
             f"closing threshold {report['threshold']}",
             f"test brands: {', '.join(report['test_brands'])}",
             f"held-out brands, n={report['n']}: outcome accuracy "
             f"{report['outcome_accuracy']:.3f}, satisfaction accuracy "
             f"{report['satisfaction_accuracy']:.3f}"]
    for name in ("outcome", "head_only", "satisfaction"):
        for label, v in report[name].items():
            lines.append(f"  {name:12} {label:13} precision {v['precision']:.3f} recall "
                         f"{v['recall']:.3f} f1 {v['f1']:.3f} (n={v['n']})")
    lines.append(f"false closure (still needing us, called resolved): "
                 f"{report['false_closure']:.3f}; resolved calls that still needed us: "
                 f"{report['wrong_closures']:.3f} of {report['closed']}")
    ho = report["head_only_false_closure"]
    lines.append(f"head alone (argmax, no rules): false closure {ho[0]:.3f}, wrong closures "
                 f"{ho[1]:.3f}")
    for name, title in (("blind", "blind chunk (shipped head)"),
                        ("blind_unseen_brands", "blind chunk, test brands only")):
        if name in report:
            b = report[name]
            lines.append(f"{title}, n={b['n']}: outcome accuracy {b['outcome_accuracy']:.3f}, "
                         f"false closure {b['false_closure']:.3f}, resolved calls that still "
                         f"needed us {b['wrong_closures']:.3f} of {b['closed']}, satisfaction "
                         f"accuracy {b['satisfaction_accuracy']:.3f}")
            lines += [f"  {name:12} {label:13} precision {v['precision']:.3f} recall "
                      f"{v['recall']:.3f} f1 {v['f1']:.3f} (n={v['n']})"
                      for label, v in b["outcome"].items()]
    f = report["folds"]
    lines.append(f"5 brand folds, n={f['n']}: false closure {f['false_closure']:.3f}, resolved "
                 f"calls that still needed us {f['wrong_closures']:.3f}, outcome macro-F1 "
                 f"{f['macro_f1']:.3f}")
    return "\n".join(lines)
