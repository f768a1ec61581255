r"""The knowledge-base threshold measured on care data that was not written for Lumora.

bench/bench_kb.py tunes on mentions written for the demo brand; a threshold chosen on
them alone may link an article to anything a real customer says. This bench adds
labelled customer-service texts from ``../shared/data/care/intents`` (Bitext's customer
service utterances and BANKING77's test split), each intent mapped by hand to the
Lumora article that would answer it, or to none (``CARE_MAP``: intents absent from
it have no Lumora article; most do not, which is the point: a care desk hears many
things its help centre does not cover). A fixed sample per intent keeps it small.

It prints, per threshold, top-1 accuracy (the right article, or rightly none) on the
care texts and on the tuning part of kb_lumora.tsv, and the threshold that maximises
their mean: the one config/demo.toml uses. No model of the triage kind is loaded:
care texts are service requests, none of them praise.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/bench_kb_care.py [--per-intent 15] \
        [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kb import DATA, NONE, figures, key, read

from config.loader import load
from responder.knowledge import KbIndex, clean_mention
from sentiment.embedding import Embedder
from sentiment.triage import topic_of

# intent -> the Lumora article key (bench_kb.key of its URL) that answers it
CARE_MAP = {
    # Bitext customer service
    "recover_password": "password-reset",
    "track_order": "tracking",
    "delivery_period": "tracking",
    "get_refund": "returns-refunds",
    "track_refund": "returns-refunds",
    "check_refund_policy": "returns-refunds",
    # BANKING77
    "transaction_charged_twice": "duplicate-charge",
    "passcode_forgotten": "password-reset",
    "Refund_not_showing_up": "returns-refunds",
}


def care_rows(data: Path, per_intent: int, seed: int = 7) -> list[tuple[str, str]]:
    """(label, text): a fixed sample of each intent of both sets, placeholders removed."""
    by_intent: dict[str, list[str]] = {}
    care = data / "care" / "intents"
    with open(care / "bitext_customer_service.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            by_intent.setdefault(row["intent"], []).append(row["utterance"])
    with open(care / "banking77_test.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            by_intent.setdefault(row["category"], []).append(row["text"])
    rng = random.Random(seed)
    rows = []
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        for text in rng.sample(texts, min(per_intent, len(texts))):
            text = re.sub(r"\{\{[^}]*\}\}", "it", text)  # Bitext's "{{Order Number}}"
            rows.append((CARE_MAP.get(intent, NONE), text))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config/demo.toml"))
    parser.add_argument("--per-intent", type=int, default=15)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"),
                        help="the shared data folder (with care/intents)")
    args = parser.parse_args()
    settings = load(args.config, env={})
    r = settings.responder
    keys = [key(a.url) for a in r.knowledge_base]
    brand = settings.brands[0]
    terms = [*brand.handles, *brand.keywords]
    embedder = Embedder.load()
    index = KbIndex.build(r.knowledge_base, embedder.embed)

    def scored(rows: list[tuple[str, str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
        texts = [clean_mention(t, terms) for _, t in rows]
        vectors = embedder.embed(texts)
        found = np.stack([index.scores(v, c, topic_of(c, settings.topics), r.kb_topic_bonus,
                                       r.kb_lexical_weight)
                          for v, c in zip(vectors, texts, strict=True)])
        return [label for label, _ in rows], found.max(axis=1), found.argmax(axis=1)

    care = care_rows(args.data, args.per_intent)
    lumora = [row for i, row in enumerate(read(DATA)) if i % 3 == 0]  # bench_kb's tuning part
    sets = {"care": scored(care), "lumora": scored(lumora)}
    linked = sum(label != NONE for label, _ in care)
    print(f"care texts: {len(care)} ({linked} with a Lumora article, {len(care) - linked} "
          f"without); Lumora tuning part: {len(lumora)}")

    def top1(name: str, threshold: float) -> dict[str, float]:
        truth, best, top = sets[name]
        guess = [keys[t] if s >= threshold else NONE for s, t in zip(best, top, strict=True)]
        return figures(truth, guess)

    thresholds = np.round(np.arange(0.40, 0.90, 0.01), 2)
    print("threshold  care top-1  care link precision  lumora top-1  mean")
    for t in thresholds[::5]:
        c, lu = top1("care", t), top1("lumora", t)
        print(f"     {t:.2f}       {c['top1']:.3f}                {c['link_precision']:.3f}"
              f"         {lu['top1']:.3f}  {(c['top1'] + lu['top1']) / 2:.3f}")
    chosen = max(thresholds, key=lambda t: (top1("care", t)["top1"] + top1("lumora", t)["top1"],
                                            t))
    c, lu = top1("care", chosen), top1("lumora", chosen)
    print(f"chosen: {chosen:.2f} (configured {r.kb_threshold:.2f}): care top-1 {c['top1']:.3f}, "
          f"care link precision {c['link_precision']:.3f}, care 'no article' recall "
          f"{c['none_recall']:.3f}; Lumora tuning top-1 {lu['top1']:.3f}")
    c = top1("care", r.kb_threshold)
    print(f"configured {r.kb_threshold:.2f}: care top-1 {c['top1']:.3f}, link precision "
          f"{c['link_precision']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
