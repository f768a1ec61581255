"""Throughput of the sentiment classifier, measured in one run (not a test).

(a) transformers.pipeline, one text at a time (the naive way)
(b) mentiondesk's classifier at the default settings: every head, length-sorted
    batches, ONNX Runtime int8 (``--runtime torch``, ``--fp32`` for the others)
(c) bare batched fp32 torch forward of the same tone model (input order, padded)
(d) the classifier as (b) but on the torch runtime in fp32 (the previous default)
(e) the classifier as (b) but in fp32 (ONNX Runtime)

    python bench/bench_classifier.py [--data PATH] [--n 1000] [--threads 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import ModelSettings  # noqa: E402
from sentiment.evaluate import load_dataset  # noqa: E402
from sentiment.transformer import load_classifier  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "tweeteval-sentiment"
FALLBACK = [
    "@united thanks for the upgrade, the crew was wonderful!",
    "@AmericanAir my flight was cancelled and nobody at the desk can help me, awful service",
    "why isn't my game installing?",
    "Lost my bag again. Third time this year. Never flying with you again",
    "The new update is out today.",
]


def bench_texts(data: Path | None, n: int) -> list[str]:
    if data is None and SHARED.is_dir():
        data = SHARED
    texts = load_dataset(data).texts if data else FALLBACK * (n // len(FALLBACK) + 1)
    return texts[:n]


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="TweetEval folder or airline CSV")
    parser.add_argument("--n", type=int, default=1000, help="texts for (b) and (c)")
    parser.add_argument("--n-pipeline", type=int, default=300, help="texts for (a)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--fp32", action="store_true", help="no int8 for (b)")
    parser.add_argument("--runtime", choices=["onnx", "torch"], default="onnx")
    parser.add_argument("--model", default="default")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved, best kept")
    args = parser.parse_args()

    import torch
    from transformers import pipeline

    texts = bench_texts(args.data, args.n)
    settings = ModelSettings(
        name=args.model, threads=args.threads, batch_size=args.batch_size,
        quantize=not args.fp32, runtime=args.runtime,
    )  # fmt: skip
    ours = load_classifier(settings)
    fp32 = load_classifier(settings.model_copy(update={"quantize": False, "runtime": "torch"}))
    onnx_fp32 = load_classifier(settings.model_copy(update={"quantize": False}))
    model, tokenizer = fp32.model, fp32.tokenizer
    ours.classify(texts[:64])  # warm-up
    fp32.classify(texts[:64])

    pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device=-1)
    sample = texts[: args.n_pipeline // args.rounds]

    def one_at_a_time() -> None:
        for text in sample:
            pipe(text, truncation=True, max_length=settings.max_length)

    def bare_forward() -> None:
        with torch.no_grad():
            for i in range(0, len(texts), args.batch_size):
                batch = tokenizer(
                    texts[i : i + args.batch_size], padding=True, truncation=True,
                    max_length=settings.max_length, return_tensors="pt",
                )  # fmt: skip
                model(**batch)

    # Interleaved rounds, best of each: on a shared machine the load moves between
    # measurements, and the best round is the one least disturbed.
    runs = {"a": (one_at_a_time, len(sample)), "b": (lambda: ours.classify(texts), len(texts)),
            "c": (bare_forward, len(texts)), "d": (lambda: fp32.classify(texts), len(texts)),
            "e": (lambda: onnx_fp32.classify(texts), len(texts))}
    best = dict.fromkeys(runs, 0.0)
    for _ in range(args.rounds):
        for key, (run, count) in runs.items():
            started = time.perf_counter()
            run()
            best[key] = max(best[key], _rate(count, time.perf_counter() - started))
    a, b, c, d, e = best["a"], best["b"], best["c"], best["d"], best["e"]

    print(f"model {ours.name} version {ours.version}, threads {torch.get_num_threads()}, "
          f"int8 {ours.quantized}, runtime {'onnx' if ours.onnx else 'torch'}, heads "
          f"{len(ours.head_names)}, {len(texts)} texts, best of {args.rounds} "
          "interleaved rounds")  # fmt: skip
    print(f"(a) pipeline, one text at a time: {a:8.1f} texts/s")
    print(f"(b) mentiondesk classifier:       {b:8.1f} texts/s")
    print(f"(c) bare batched fp32 forward:    {c:8.1f} texts/s")
    print(f"(d) classifier, torch fp32:       {d:8.1f} texts/s")
    print(f"(e) classifier, ONNX fp32:        {e:8.1f} texts/s")
    print(f"ratios: (b)/(a) {b / a:.2f}x   (b)/(c) {b / c:.2f}x   (c)/(a) {c / a:.2f}x   "
          f"(b)/(d) {b / d:.2f}x   (e)/(a) {e / a:.2f}x")


if __name__ == "__main__":
    main()
