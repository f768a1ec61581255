"""`main.py model train` and `main.py model eval`: rebuild and measure the sentiment model.

Kept out of main.py so the command line only registers them; both commands follow
main.py's ``func(args, settings) -> int`` convention.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from config.settings import Settings

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``model train`` and ``model eval`` to main.py's subparsers."""
    from sentiment.transformer import DEFAULT_MODEL_DIR

    model = subparsers.add_parser("model", help="train or evaluate the sentiment model")
    sub = model.add_subparsers(dest="model_command", required=True)

    p = sub.add_parser("train", help="fine-tune the default model from labelled data")
    p.add_argument("--data", type=Path, required=True,
                   help="folder with airline-sentiment/ and tweeteval-sentiment/")
    p.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR,
                   help=f"where the model files go (default: {DEFAULT_MODEL_DIR})")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=float, default=0.85)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--freeze-layers", type=int, default=0,
                   help="keep this many lowest encoder layers at the base weights")
    p.add_argument("--airline-repeat", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    p.add_argument("--max-minutes", type=float, help="stop early after this long")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="measure a model on a labelled data set")
    p.add_argument("--data", type=Path, required=True,
                   help="a TweetEval-style folder (<split>_text.txt + <split>_labels.txt) "
                   "or a CSV with text,sentiment columns")
    p.add_argument("--split", help="TweetEval split to use (default: test, else val, ...)")
    p.add_argument("--part", choices=["all", "train", "heldout"], default="all",
                   help="for the airline CSV: the training or held-out share")
    p.add_argument("--model", help="model name or path (default: the configured one)")
    p.add_argument("--no-quantize", action="store_true", help="run in fp32")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_eval)  # fmt: skip


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.train import train

    manifest = train(
        args.data, args.out, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size,
        max_length=args.max_length, lr=args.lr, freeze_layers=args.freeze_layers,
        airline_repeat=args.airline_repeat, threads=args.threads,
        max_minutes=args.max_minutes,
    )  # fmt: skip
    figures = manifest["figures_fp32"]
    print(f"wrote {args.out}")
    for name, report in figures.items():
        print(f"{name}: macro recall {report['macro_recall']:.4f}, "
              f"negative F1 {report['negative_f1']:.4f}")  # fmt: skip
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.evaluate import evaluate, format_report, load_dataset
    from sentiment.transformer import load_classifier

    dataset = load_dataset(args.data, split=args.split, part=args.part)
    update: dict[str, object] = {}
    if args.model:
        update["name"] = args.model
    if args.no_quantize:
        update["quantize"] = False
    classifier = load_classifier(settings.model.model_copy(update=update))
    report = evaluate(classifier, dataset)
    if args.json:
        print(json.dumps({"model": classifier.name, "version": classifier.version,
                          "int8": classifier.quantized, **report.as_dict()}))  # fmt: skip
    else:
        print(f"model:              {classifier.name} ({classifier.version}, "
              f"int8 {classifier.quantized})")  # fmt: skip
        print(format_report(report))
    return 0
