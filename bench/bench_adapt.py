"""What `main.py model adapt` buys a desk, by simulation (docs/model.md, Adapting).

A source the heads never saw stands in for one desk's traffic: the "shipped" heads are
fitted on every other source (and thresholded as the shipped ones are), then 100, 200
and 400 of that source's labelled mentions are fed in as agents' needs_reply
corrections and the heads refitted as ``adapt`` does; each model is measured on the
rest of the source (never fed in).

    python bench/bench_adapt.py --data ../shared/data --serving sentiment/default_model \
        --source airline
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentiment.adapt import decision_figures, refit
from sentiment.labels import LABELS_DIR
from sentiment.train_by_source import load_training
from sentiment.train_wide import (
    choose_thresholds,
    compact_base,
    expand_base,
    fit,
    out_of_source,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--serving", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=LABELS_DIR)
    parser.add_argument("--cache", type=Path, default=Path("data") / "vectors")
    parser.add_argument("--source", default="airline")
    parser.add_argument("--sizes", default="100,200,400")
    parser.add_argument("--weights", default="5", help="how many shipped rows a correction "
                        "counts for (comma-separated: one table each)")
    args = parser.parse_args()

    rows, data, _tone = load_training(args.data, args.serving, args.cache, args.labels)
    target = np.array([s == args.source for s in data.sources]) & (data.targets[:, 0] != -1)
    others = np.flatnonzero(~np.array([s == args.source for s in data.sources]))
    rest = data.subset(others)
    print(f"{args.source}: {int(target.sum())} labelled mentions; shipped heads fitted on "
          f"{len(others)} rows of the other sources")
    started = time.monotonic()
    # needs_reply's threshold comes from the held-out brands alone, as the shipped one.
    probs = out_of_source(rest, only={"brands"})
    thresholds = choose_thresholds(rest, probs)
    shipped = fit(rest)
    base = expand_base(compact_base(rest))
    index = sorted(np.flatnonzero(target),
                   key=lambda i: hashlib.sha1(rows[i].text.encode()).digest())
    sizes = [int(s) for s in args.sizes.split(",")]
    pool, held = index[: max(sizes)], np.array(index[max(sizes):])
    x_held, y_held = data.x[held], data.targets[held, 0]
    before = decision_figures(y_held, shipped.probs(x_held)[:, 0], thresholds["needs_reply"])
    print(f"measured on the other {len(held)} mentions of {args.source}")
    print(f"{'corrections':>12}{'recall':>8}{'false al.':>10}{'accuracy':>9}{'cost':>7}"
          f"{'threshold':>10}")
    print(f"{0:>12}{before['recall']:>8.3f}{before['false_alarms']:>10.3f}"
          f"{before['accuracy']:>9.3f}{before['cost']:>7.3f}{thresholds['needs_reply']:>10.3f}")
    for weight in (float(w) for w in args.weights.split(",")):
        print(f"correction weight {weight:g}:")
        for size in sizes:
            fed = np.array(pool[:size])
            model, new = refit(base, data.x[fed], data.targets[fed, 0], thresholds,
                               weight=weight)  # fmt: skip
            after = decision_figures(y_held, model.probs(x_held)[:, 0], new["needs_reply"])
            print(f"{size:>12}{after['recall']:>8.3f}{after['false_alarms']:>10.3f}"
                  f"{after['accuracy']:>9.3f}{after['cost']:>7.3f}{new['needs_reply']:>10.3f}")
    print(f"({(time.monotonic() - started) / 60:.1f} minutes; cost = (5 x missed + false "
          "alarms) per mention)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
