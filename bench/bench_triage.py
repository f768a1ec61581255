"""Throughput of triage as `main.py triage` runs it, measured in one run (not a test).

(a) transformers.pipeline, one text at a time, on the same-sized tone model
(b) mentiondesk triage: the classifier with every head, the rules (one pass per term
    list), language, roles and topics, with the settings file's defaults

    python bench/bench_triage.py [--config config/demo.toml] [--n 1000] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_classifier import bench_texts  # noqa: E402
from pipeline.settings import load_settings as load  # noqa: E402
from sentiment.batch import Item, topic_finder_for, triage_items  # noqa: E402
from sentiment.transformer import load_classifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "demo.toml")
    parser.add_argument("--data", type=Path, help="TweetEval folder or airline CSV")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--n-pipeline", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved, best kept")
    args = parser.parse_args()

    import torch
    from transformers import pipeline

    settings = load(args.config, env={})
    model_settings = settings.model.model_copy(update={"threads": args.threads})
    texts = bench_texts(args.data, args.n)
    classifier = load_classifier(model_settings)
    finder = topic_finder_for(settings)
    brand = settings.brands[0]
    items = [Item(text=text, brand=brand) for text in texts]
    triage_items(items[:64], classifier, settings, finder)  # warm-up

    baseline = load_classifier(model_settings.model_copy(update={"runtime": "torch",
                                                                 "quantize": False}))
    pipe = pipeline("text-classification", model=baseline.model,
                    tokenizer=baseline.tokenizer, device=-1)  # fmt: skip
    sample = texts[: args.n_pipeline // args.rounds]

    def one_at_a_time() -> None:
        for text in sample:
            pipe(text, truncation=True, max_length=model_settings.max_length)

    def as_main_py_does() -> None:
        for start in range(0, len(items), 256):
            triage_items(items[start : start + 256], classifier, settings, finder)

    # Interleaved rounds, best of each (the load on a shared machine moves).
    a = b = 0.0
    for _ in range(args.rounds):
        started = time.perf_counter()
        one_at_a_time()
        a = max(a, len(sample) / (time.perf_counter() - started))
        started = time.perf_counter()
        as_main_py_does()
        b = max(b, len(items) / (time.perf_counter() - started))

    print(f"model {classifier.name} version {classifier.version}, threads "
          f"{torch.get_num_threads()}, int8 {classifier.quantized}, heads "
          f"{len(classifier.thresholds)}, topics by "
          f"{'meaning' if finder else 'keywords'}, {len(texts)} texts, best of "
          f"{args.rounds} interleaved rounds")  # fmt: skip
    print(f"(a) pipeline, one text at a time: {a:8.1f} texts/s")
    print(f"(b) mentiondesk triage:           {b:8.1f} texts/s")
    print(f"ratio (b)/(a) {b / a:.2f}x")


if __name__ == "__main__":
    main()
