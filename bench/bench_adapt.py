"""What `main.py model adapt` buys a desk, by simulation (docs/model.md, Adapting).

A source the heads never saw stands in for one desk's traffic. The "shipped" heads are
fitted on every other source (needs_reply thresholded on the other care brands, as the
shipped heads are) and triage the source's labelled mentions as one stream, in a fixed
order (a hash of the text). Agents then do what a desk does, and only that:

- every false alarm in the queue gets a "no reply needed" correction;
- every request in the queue is answered: the approved reply confirms needs_reply = 1
  (``store.corrections.desk_labels`` reads these from the drafts);
- of the mentions left out of the queue, ``--review`` (30 %) are looked at, and the
  requests among them get a "needs a reply" correction (a found miss).

The first 100, 200, 400 corrections (and the confirmations that came before them in the
stream) are fed to ``sentiment.adapt.decide``, the same decision ``model adapt`` makes
(refit, threshold, held-out comparison, refusal); the model the desk then uses (the
adapted one, or the shipped one when adapting refused) is measured on the rest of the
stream, never fed in, against the shipped heads on the same mentions.

    python bench/bench_adapt.py --data ../shared/data --serving sentiment/default_model \
        --cache DIR --source "airline,brands fold 2"

``--keep DIR`` stores each stand-in (heads, thresholds, training sample) so a second
run skips the slow part (6 fits on ~16,000 rows per source).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.adapt import decide, decision_figures
from sentiment.labels import LABELS_DIR
from sentiment.train_by_source import load_training
from sentiment.train_wide import (
    Dataset,
    Mlp,
    choose_thresholds,
    compact_base,
    expand_base,
    fit,
    holdouts,
    out_of_source,
)


@dataclass
class StandIn:
    """The heads a desk on this source would have been shipped, and their sample."""

    heads: Mlp
    thresholds: dict[str, float]
    base: Dataset


def stand_in(data: Dataset, held: np.ndarray, name: str, keep: Path | None) -> StandIn:
    """Heads fitted without the rows in ``held``, thresholded as the shipped ones (kept
    in ``keep`` by source name and row count, so a rerun skips the fits)."""
    path = None
    if keep is not None:
        slug = name.replace(" ", "-")
        path = keep / f"stand-in-{slug}-{int(held.sum())}-{len(held)}.npz"
        if path.is_file():
            with np.load(path) as f:
                heads = Mlp(f["hw"], f["hb"], f["ow"], f["ob"])
                thresholds = dict(zip([str(k) for k in f["names"]], f["values"].tolist(),
                                      strict=True))  # fmt: skip
                base = expand_base({k[5:]: f[k] for k in f.files if k.startswith("base_")})
            return StandIn(heads, thresholds, base)
    rest = data.subset(np.flatnonzero(~held))
    # needs_reply's threshold comes from the held-out brands alone, as the shipped one.
    thresholds = choose_thresholds(rest, out_of_source(rest, only={"brands"}))
    heads = fit(rest)
    compact = compact_base(rest)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, hw=heads.hidden_w, hb=heads.hidden_b, ow=heads.out_w, ob=heads.out_b,
                 names=np.array(list(thresholds)), values=np.array(list(thresholds.values())),
                 **{f"base_{k}": v for k, v in compact.items()})  # fmt: skip
    return StandIn(heads, thresholds, expand_base(compact))


def _share(key: str) -> float:
    """A number in [0, 1) fixed by ``key``: the same stream order and reviews every run."""
    return int.from_bytes(hashlib.sha1(key.encode()).digest()[:4], "big") / 2**32


@dataclass
class Stream:
    """A desk's labels in the order they arrive: rows of the data set, the label, and
    whether it is a correction (else a confirmation by an approved reply)."""

    order: np.ndarray  # every mention of the source, in arrival order
    at: np.ndarray  # position in ``order`` of each label
    rows: np.ndarray
    values: np.ndarray
    corrections: np.ndarray  # bool


def desk_stream(texts: list[str], index: np.ndarray, gold: np.ndarray, probs: np.ndarray,
                threshold: float, review: float, run: int = 0) -> Stream:
    """What agents tell the model while working through the stream triaged at
    ``threshold``: false alarms corrected, answered requests confirmed, and the misses
    among the ``review`` share of mentions left out of the queue corrected. ``run``
    picks one of several fixed arrival orders."""
    order = np.array(sorted(range(len(index)),
                            key=lambda i: _share(f"{run}:{texts[index[i]]}")))
    at, rows, values, corrections = [], [], [], []
    for position, i in enumerate(order):
        queued = probs[i] >= threshold
        reviewed = _share("review:" + texts[index[i]]) < review
        if queued or (reviewed and gold[i] == 1):
            at.append(position)
            rows.append(index[i])
            values.append(int(gold[i]))
            corrections.append(not (queued and gold[i] == 1))
    return Stream(index[order], np.array(at), np.array(rows), np.array(values, np.int8),
                  np.array(corrections, bool))  # fmt: skip


def _line(label: str, f: dict[str, float], threshold: float, note: str = "") -> str:
    return (f"{label:>22}{f['recall']:>8.3f}{f['false_alarms']:>10.3f}{f['cost']:>7.3f}"
            f"{threshold:>10.4f}  {note}")


def simulate(data: Dataset, texts: list[str], name: str, held: np.ndarray,
             sizes: list[int], review: float, weight: float | None,
             keep: Path | None) -> None:
    """One source as a desk: the table of before/after per number of corrections."""
    started = time.monotonic()
    shipped = stand_in(data, held, name, keep)
    index = np.flatnonzero(held & (data.targets[:, 0] != -1))
    gold = data.targets[index, 0]
    t0 = shipped.thresholds["needs_reply"]
    probs = shipped.heads.probs(data.x[index])[:, 0]
    stream = desk_stream(texts, index, gold, probs, t0, review)
    start = decision_figures(gold, probs, t0)
    print(f"\n{name}: {len(index)} labelled mentions ({int(gold.sum())} need a reply); "
          f"shipped heads: recall {start['recall']:.3f}, false alarms "
          f"{start['false_alarms']:.3f}, cost {start['cost']:.3f} at {t0:.4f}")
    print(f"the stream holds {int(stream.corrections.sum())} corrections "
          f"({int((stream.corrections & (stream.values == 0)).sum())} false alarms, "
          f"{int((stream.corrections & (stream.values == 1)).sum())} found misses, "
          f"{review:.0%} of the rest reviewed) and {int((~stream.corrections).sum())} "
          f"confirmations")
    print(f"{'':>22}{'recall':>8}{'false al.':>10}{'cost':>7}{'threshold':>10}")
    for size in sizes:
        counted = np.cumsum(stream.corrections)
        if counted[-1] < size:
            print(f"{size:>5} corrections: the stream has only {counted[-1]}")
            continue
        last = int(np.searchsorted(counted, size))  # the label that is the size-th correction
        fed = slice(0, last + 1)
        rest = np.array([row for row in stream.order[stream.at[last] + 1:]])
        mask = np.isin(index, rest)
        extra = {} if weight is None else {"weight": weight}
        outcome, model = decide(shipped.base, data.x[stream.rows[fed]], stream.values[fed],
                                stream.corrections[fed], stream.rows[fed].tolist(),
                                shipped.heads, shipped.thresholds, **extra)  # fmt: skip
        x_rest, y_rest = data.x[index[mask]], gold[mask]
        before = decision_figures(y_rest, shipped.heads.probs(x_rest)[:, 0], t0)
        used, cut = (model, outcome.thresholds["needs_reply"]) if outcome.switched else (
            shipped.heads, t0)
        after = decision_figures(y_rest, used.probs(x_rest)[:, 0], cut)
        confirmed = int((~stream.corrections[fed]).sum())
        print(f"{size} corrections + {confirmed} confirmations, measured on the other "
              f"{int(mask.sum())} mentions ({int(y_rest.sum())} need a reply):")
        print(_line("shipped", before, t0))
        verdict = "switched" if outcome.switched else "refused: shipped stays"
        print(_line("after adapt", after, cut,
                    f"{verdict} (held-out labels: cost {outcome.before['cost']:.3f} -> "
                    f"{outcome.after['cost']:.3f} on {outcome.held_out})"))
    print(f"({(time.monotonic() - started) / 60:.1f} minutes; cost = (5 x missed + false "
          "alarms) per mention)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--serving", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS_DIR)
    parser.add_argument("--cache", type=Path, default=Path("data") / "vectors",
                        help="the folder of the encoded-vectors cache (vectors-<id>.npz)")
    parser.add_argument("--source", default="airline,brands fold 2",
                        help="comma-separated: held-out units (a source, or 'brands fold K')")
    parser.add_argument("--sizes", default="100,200,400")
    parser.add_argument("--review", type=float, default=0.3,
                        help="share of the mentions left out of the queue an agent looks at")
    parser.add_argument("--weight", type=float,
                        help="how many shipped rows a desk label counts for (default: adapt's)")
    parser.add_argument("--keep", type=Path, help="keep the stand-in heads here")
    args = parser.parse_args()

    rows, data, _tone = load_training(args.data, args.serving, args.cache, args.labels)
    units = dict(holdouts(data))
    texts = [r.text for r in rows]
    sizes = [int(s) for s in args.sizes.split(",")]
    for name in (s.strip() for s in args.source.split(",")):
        if name not in units:
            print(f"unknown source {name!r}; one of: {', '.join(units)}")
            return 2
        simulate(data, texts, name, units[name], sizes, args.review, args.weight, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
