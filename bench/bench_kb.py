"""Knowledge-base choice on the labelled Lumora sets (bench/data/kb_lumora.tsv, kb_blind.tsv).

The threshold under which no article is linked is chosen on a tuning part of the set
(every third line) and the figures are reported on the rest, which the threshold never
saw. As in the pipeline, a mention the shipped model reads as positive (praise, thanks)
gets a thank-you draft and no article. Prints top-1 accuracy (right article, or rightly
none), the "no article" precision and recall, and the confusions. The blind set
(kb_blind.tsv, written before the retrieval was last changed and never used to choose
anything) is only measured, with the configured settings, at the end; ``--no-blind``
leaves it out while tuning.

    HF_HUB_OFFLINE=1 python bench/bench_kb.py [--config config/demo.toml] [--no-blind]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.settings import load_settings as load
from responder.knowledge import KbIndex, clean_mention
from sentiment.embedding import Embedder
from sentiment.transformer import load_classifier
from sentiment.triage import topic_of

DATA = Path(__file__).resolve().parent / "data" / "kb_lumora.tsv"
BLIND = DATA.with_name("kb_blind.tsv")
NONE = "-"


def key(url: str) -> str:
    """An article's key in the labelled set: the last part of its URL."""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return "status" if tail.startswith("status.") else tail


def read(path: Path) -> list[list[str]]:
    """(label, text) rows of a labelled set; '#' lines are comments."""
    return [line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]


def predict(best: np.ndarray, top: np.ndarray, keys: list[str], threshold: float,
            praise: list[bool]) -> list[str]:
    return [keys[t] if s >= threshold and not p else NONE
            for s, t, p in zip(best, top, praise, strict=True)]


def figures(truth: list[str], guess: list[str]) -> dict[str, float]:
    right = sum(t == g for t, g in zip(truth, guess, strict=True))
    said_none = [t for t, g in zip(truth, guess, strict=True) if g == NONE]
    are_none = [g for t, g in zip(truth, guess, strict=True) if t == NONE]
    linked = [(t, g) for t, g in zip(truth, guess, strict=True) if g != NONE]
    wrong_links = sum(t != g for t, g in linked)
    return {
        "n": len(truth),
        "top1": right / len(truth),
        "link_precision": (1 - wrong_links / len(linked)) if linked else 1.0,
        # A wrong link costs an agent an edit; a missing one leaves a plainer draft.
        "utility": (len(linked) - 3 * wrong_links) / len(truth),
        "none_precision": (said_none.count(NONE) / len(said_none)) if said_none else 1.0,
        "none_recall": (are_none.count(NONE) / len(are_none)) if are_none else 1.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config/demo.toml"))
    parser.add_argument("--no-blind", action="store_true", help="leave the blind set out")
    args = parser.parse_args()
    settings = load(args.config, env={})
    responder = settings.responder
    articles = responder.knowledge_base
    keys = [key(a.url) for a in articles]
    rows = read(DATA)
    blind_rows = [] if args.no_blind else read(BLIND)
    labelled = len(rows)
    rows += blind_rows
    truth = [label for label, _ in rows]
    texts = [text for _, text in rows]
    unknown = set(truth) - set(keys) - {NONE}
    if unknown:
        print(f"labels without an article: {sorted(unknown)}")
        return 1

    embedder = Embedder.load()
    index = KbIndex.build(articles, embedder.embed)
    brand = settings.brands[0]
    cleaned = [clean_mention(t, [*brand.handles, *brand.keywords]) for t in texts]
    mention_vectors = embedder.embed(cleaned)
    topics = [topic_of(text, settings.topics) for text in texts]
    praise = [p.label == "positive" for p in load_classifier(settings.model).classify(texts)]

    def table(weight: float, bonus: float) -> tuple[np.ndarray, np.ndarray]:
        found = np.stack([index.scores(v, c, t, bonus, weight)
                          for v, c, t in zip(mention_vectors, cleaned, topics, strict=True)])
        return found.max(axis=1), found.argmax(axis=1)

    tune = [i for i in range(labelled) if i % 3 == 0]
    test = [i for i in range(labelled) if i % 3 != 0]
    blind = list(range(labelled, len(rows)))

    def on(part: list[int], weight: float, bonus: float, threshold: float
           ) -> dict[str, float]:
        best, top = tables[weight, bonus]
        guess = predict(best[part], top[part], keys, threshold, [praise[i] for i in part])
        return figures([truth[i] for i in part], guess)

    weights = sorted({0.0, 0.25, 0.5, 0.75, 1.0, responder.kb_lexical_weight})
    bonuses = sorted({0.0, 0.05, 0.1, 0.2, responder.kb_topic_bonus})
    tables = {(w, b): table(w, b) for w in weights for b in bonuses}
    thresholds = np.round(np.arange(0.20, 1.20, 0.01), 2)
    weight, bonus, chosen = max(
        ((w, b, t) for w in weights for b in bonuses for t in thresholds),
        key=lambda wbt: (on(tune, *wbt)["top1"], -abs(wbt[1] - responder.kb_topic_bonus)))
    print(f"{labelled} labelled mentions, {len(articles)} articles; "
          f"tuning part {len(tune)}, held-out part {len(test)}")
    print(f"chosen on the tuning part: lexical weight {weight:.2f}, topic bonus {bonus:.2f}, "
          f"threshold {chosen:.2f} (configured: {responder.kb_lexical_weight:.2f}, "
          f"{responder.kb_topic_bonus:.2f}, {responder.kb_threshold:.2f})")
    for name, part in (("tuning", tune), ("held-out", test)):
        f = on(part, weight, bonus, chosen)
        print(f"{name:>9}: top-1 accuracy {f['top1']:.3f}   'no article' precision "
              f"{f['none_precision']:.3f}   recall {f['none_recall']:.3f}   link precision "
              f"{f['link_precision']:.3f}   (n={f['n']})")
    careful = max(thresholds, key=lambda t: (on(tune, weight, bonus, t)["utility"], -t))
    f = on(test, weight, bonus, careful)
    print(f"threshold where a wrong link costs three missing ones (tuning part): "
          f"{careful:.2f}; held-out: top-1 {f['top1']:.3f}, link precision "
          f"{f['link_precision']:.3f}, 'no article' precision {f['none_precision']:.3f}")
    f = on(test, responder.kb_lexical_weight, responder.kb_topic_bonus, responder.kb_threshold)
    print(f"held-out with the configured settings: top-1 {f['top1']:.3f}, "
          f"'no article' precision {f['none_precision']:.3f}, link precision "
          f"{f['link_precision']:.3f}")
    alone = max(thresholds, key=lambda t: on(tune, 0.0, bonus, t)["top1"])
    f = on(test, 0.0, bonus, alone)
    print(f"held-out, encoder alone (no lexical score): top-1 {f['top1']:.3f}")
    best, top = tables[weight, bonus]
    guess = predict(best[test], top[test], keys, chosen, [praise[i] for i in test])
    print("held-out mistakes (truth -> chosen, score):")
    for i, g in zip(test, guess, strict=True):
        if g != truth[i]:
            print(f"  {truth[i]:>22} -> {g:<22} {best[i]:.2f}  {texts[i][:70]}")
    if blind:
        print(f"blind set ({BLIND.name}, n={len(blind)}), measured once, configured settings:")
        f = on(blind, responder.kb_lexical_weight, responder.kb_topic_bonus,
               responder.kb_threshold)
        print(f"    blind: top-1 accuracy {f['top1']:.3f}   'no article' precision "
              f"{f['none_precision']:.3f}   recall {f['none_recall']:.3f}   link precision "
              f"{f['link_precision']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
