"""What `main.py model adapt` buys a desk, by simulation (docs/model.md, Adapting).

A source the heads never saw stands in for one desk's traffic. The "shipped" heads are
fitted on every other source (needs_reply thresholded on the other care brands, as the
shipped heads are) and triage the source's labelled mentions as one stream, in a fixed
order (a hash of the text). Agents then do what a desk does, and only that:

- every false alarm in the queue gets a "no reply needed" correction;
- every request in the queue is answered: the approved reply confirms needs_reply = 1
  (``store.corrections.reply_confirmations`` reads these from the drafts);
- of the mentions left out of the queue, ``--review`` (30 %) are looked at, and the
  requests among them get a "needs a reply" correction (a found miss);
- every other mention left out is an uncontested "no" (``store.corrections.uncontested``),
  the misses nobody found among them too.

The stream up to its 25th, 50th, 100th, 150th correction is fed to
``sentiment.adapt.decide``, the decision ``model adapt`` makes (refit, threshold,
held-out comparison, refusal); the model the desk then uses (the adapted one, or the
shipped one when adapting refused) is measured on the rest of the stream, never fed
in, against the shipped heads on the same mentions. Each figure is the mean over
``--runs`` arrival orders.

    python bench/bench_adapt.py --data ../shared/data --serving sentiment/default_model \
        --cache DIR --source "airline,apple,sanders,sample,brands fold 2"

``--keep DIR`` stores each stand-in (heads, thresholds, training sample) so a second
run skips its fits.
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
from sentiment.triage import queue_entry
from store.corrections import CONFIRMATION, CORRECTION, UNCONTESTED


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
    its kind (a correction, a confirmation by an approved reply, or the model's "no"
    that nobody contradicted)."""

    order: np.ndarray  # every mention of the source, in arrival order
    at: np.ndarray  # position in ``order`` of each label
    rows: np.ndarray
    values: np.ndarray
    kinds: np.ndarray

    @property
    def corrections(self) -> np.ndarray:
        return self.kinds == CORRECTION


def desk_stream(texts: list[str], index: np.ndarray, gold: np.ndarray, probs: np.ndarray,
                threshold: float, review: float, run: int = 0) -> Stream:
    """What agents tell the model while working through the stream triaged at
    ``threshold``: false alarms corrected, answered requests confirmed, and the misses
    among the ``review`` share of mentions left out of the queue corrected; every other
    mention left out stays the model's uncontradicted "no". ``run`` picks one of
    several fixed arrival orders."""
    order = np.array(sorted(range(len(index)),
                            key=lambda i: _share(f"{run}:{texts[index[i]]}")))
    kinds = []
    for i in order:
        reviewed = _share("review:" + texts[index[i]]) < review
        if probs[i] >= threshold:
            kinds.append(CONFIRMATION if gold[i] == 1 else CORRECTION)
        else:
            kinds.append(CORRECTION if reviewed and gold[i] == 1 else UNCONTESTED)
    kind = np.array(kinds, dtype=object)
    values = np.where(kind == UNCONTESTED, 0, gold[order]).astype(np.int8)
    return Stream(index[order], np.arange(len(order)), index[order], values, kind)


def one_size(data: Dataset, shipped: StandIn, index: np.ndarray, gold: np.ndarray,
             stream: Stream, size: int) -> dict[str, float] | None:
    """Adapt on the stream up to its ``size``-th correction; the shipped heads and the
    model the desk then uses, measured on the rest of the stream."""
    counted = np.cumsum(stream.corrections)
    if counted[-1] < size:
        return None
    last = int(np.searchsorted(counted, size))  # the label that is the size-th correction
    fed = slice(0, last + 1)
    rest = np.isin(index, stream.order[stream.at[last] + 1:])
    t0 = queue_entry(shipped.thresholds)
    outcome, model = decide(shipped.base, data.x[stream.rows[fed]], stream.values[fed],
                            stream.kinds[fed], stream.rows[fed].tolist(), shipped.heads,
                            shipped.thresholds)  # fmt: skip
    x_rest, y_rest = data.x[index[rest]], gold[rest]
    before = decision_figures(y_rest, shipped.heads.probs(x_rest)[:, 0], t0)
    used, cut = (model, queue_entry(outcome.thresholds)) if outcome.switched else (
        shipped.heads, t0)
    after = decision_figures(y_rest, used.probs(x_rest)[:, 0], cut)
    kinds = stream.kinds[fed]
    return {"confirmations": float((kinds == CONFIRMATION).sum()),
            "uncontested": float((kinds == UNCONTESTED).sum()), "rest": float(rest.sum()),
            **{f"before_{k}": v for k, v in before.items()},
            **{f"after_{k}": v for k, v in after.items()},
            "threshold": cut, "switched": float(outcome.switched)}  # fmt: skip


def simulate(data: Dataset, texts: list[str], name: str, held: np.ndarray,
             sizes: list[int], review: float, runs: int, keep: Path | None) -> None:
    """One source as a desk: before/after per number of corrections, the mean over
    ``runs`` arrival orders."""
    started = time.monotonic()
    shipped = stand_in(data, held, name, keep)
    index = np.flatnonzero(held & (data.targets[:, 0] != -1))
    gold = data.targets[index, 0]
    t0 = queue_entry(shipped.thresholds)
    probs = shipped.heads.probs(data.x[index])[:, 0]
    start = decision_figures(gold, probs, t0)
    first = desk_stream(texts, index, gold, probs, t0, review)
    fixes = first.corrections
    print(f"\n{name}: {len(index)} labelled mentions ({int(gold.sum())} need a reply); the "
          f"shipped heads at {t0:.4f}: recall {start['recall']:.3f}, false alarms "
          f"{start['false_alarms']:.3f}, cost {start['cost']:.3f}")
    print(f"the whole stream holds {int(fixes.sum())} corrections "
          f"({int((fixes & (first.values == 0)).sum())} false alarms, "
          f"{int((fixes & (first.values == 1)).sum())} misses found among the {review:.0%} "
          f"of the rest reviewed), {int((first.kinds == CONFIRMATION).sum())} confirmations, "
          f"{int((first.kinds == UNCONTESTED).sum())} uncontested")
    print(f"mean over {runs} arrival orders; measured on the rest of each stream:")
    print(f"{'corr.':>6}{'conf.':>7}{'unc.':>6}{'rest':>6} | {'shipped: recall':>15}"
          f"{'f.al.':>7}{'cost':>7} | {'adapted: recall':>15}{'f.al.':>7}{'cost':>7}"
          f"{'thr.':>8} switched")
    for size in sizes:
        found = [one_size(data, shipped, index, gold,
                          desk_stream(texts, index, gold, probs, t0, review, run), size)
                 for run in range(runs)]  # fmt: skip
        done = [f for f in found if f is not None]
        if not done:
            print(f"{size:>6}  (the stream has fewer corrections)")
            continue
        m = {k: float(np.mean([f[k] for f in done])) for k in done[0]}
        print(f"{size:>6}{m['confirmations']:>7.0f}{m['uncontested']:>6.0f}{m['rest']:>6.0f} | "
              f"{m['before_recall']:>15.3f}{m['before_false_alarms']:>7.3f}"
              f"{m['before_cost']:>7.3f} | {m['after_recall']:>15.3f}"
              f"{m['after_false_alarms']:>7.3f}{m['after_cost']:>7.3f}{m['threshold']:>8.4f}"
              f" {int(sum(f['switched'] for f in done))}/{len(done)}")
    print(f"({(time.monotonic() - started) / 60:.1f} minutes; cost = (5 x missed + false "
          "alarms) per mention)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--serving", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS_DIR)
    parser.add_argument("--cache", type=Path, default=Path("data") / "vectors",
                        help="the folder of the encoded-vectors cache (vectors-<id>.npz)")
    parser.add_argument("--source", default="airline,apple,sanders,sample,brands fold 2",
                        help="comma-separated: held-out units (a source, or 'brands fold K')")
    parser.add_argument("--sizes", default="25,50,100,150")
    parser.add_argument("--review", type=float, default=0.3,
                        help="share of the mentions left out of the queue an agent looks at")
    parser.add_argument("--runs", type=int, default=3, help="arrival orders to average")
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
        simulate(data, texts, name, units[name], sizes, args.review, args.runs, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
