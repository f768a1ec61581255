"""`main.py model train|eval|export|topics`: rebuild, measure and package the model.

Kept out of main.py so the command line only registers them; both commands follow
main.py's ``func(args, settings) -> int`` convention.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from config.settings import Settings
from core.words import counted

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``model train`` and ``model eval`` to main.py's subparsers."""
    from sentiment.labels import LABELS_FILE, TOPICS_FILE
    from sentiment.transformer import DEFAULT_MODEL_DIR

    model = subparsers.add_parser("model", help="train or evaluate the sentiment model")
    sub = model.add_subparsers(dest="model_command", required=True)

    p = sub.add_parser("train", help="rebuild the default model (tone, heads, joint tune)")
    p.add_argument("--data", type=Path, required=True,
                   help="folder with airline-sentiment/ and tweeteval-sentiment/")
    p.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR,
                   help=f"where the model files go (default: {DEFAULT_MODEL_DIR})")
    p.add_argument("--labels", type=Path, default=LABELS_FILE,
                   help="triage labels (key, source, nr, cp, sp, sc)")
    p.add_argument("--stages", default="tone,heads,joint",
                   help="comma-separated: tone (fine-tune the encoder for tone), heads "
                   "(train the triage heads on it), joint (short joint fine-tune); "
                   "heads and joint start from --out when tone is not run; wide: the "
                   "heads on every source of --data (and care/) over the fixed serving "
                   "encoder, thresholds chosen on held-out brands (docs/model.md); "
                   "tone-head: the tone head blended with the encoder's tone, over the "
                   "same fixed encoder")
    p.add_argument("--serving", type=Path, default=DEFAULT_MODEL_DIR,
                   help="wide/eval --by-source: folder with encoder.onnx, sentence.onnx, "
                   "tokenizer.json")
    p.add_argument("--cache", type=Path, default=Path("data") / "vectors",
                   help="wide: where the training texts' vectors are kept")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--epochs", type=float, default=0.85, help="tone stage")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-4, help="tone stage")
    p.add_argument("--freeze-layers", type=int, default=0,
                   help="tone stage: keep this many lowest encoder layers at the base weights")
    p.add_argument("--airline-repeat", type=int, default=2)
    p.add_argument("--joint-steps", type=int, default=1500)
    p.add_argument("--threads", type=int, default=1, help="torch threads for training")
    p.add_argument("--max-minutes", type=float, help="stop a stage early after this long")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("adapt", help="refit the heads on this desk's needs_reply "
                       "corrections and approved replies; switch only if no worse on "
                       "held-out labels")
    p.add_argument("--shipped", type=Path, default=DEFAULT_MODEL_DIR,
                   help="the shipped model (serving files and training sample)")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_adapt)

    p = sub.add_parser("eval", help="measure a model on a labelled data set")
    p.add_argument("--data", type=Path, required=True,
                   help="a TweetEval-style folder (<split>_text.txt + <split>_labels.txt), "
                   "a CSV with text,sentiment columns, or with --labels the shared data "
                   "folder the labels join")
    p.add_argument("--split", help="TweetEval split, or with --labels: train, val or test "
                   "(default: test, the held-out keys starting e/f)")
    p.add_argument("--part", choices=["all", "train", "heldout"], default="all",
                   help="for the airline CSV: the training or held-out share")
    p.add_argument("--labels", type=Path, nargs="?", const=LABELS_FILE,
                   help="report every head on the triage labels (default file: "
                   f"{LABELS_FILE.name}) joined with --data")
    p.add_argument("--model", help="model name or path (default: the configured one)")
    p.add_argument("--no-quantize", action="store_true", help="run in fp32")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--by-source", action="store_true",
                   help="every head and triage with each source (and fold of care brands) "
                   "held out in turn; --data is the shared data folder (a few minutes)")
    p.add_argument("--serving", type=Path, default=DEFAULT_MODEL_DIR,
                   help="--by-source: folder with the serving files")
    p.add_argument("--cache", type=Path, default=Path("data") / "vectors",
                   help="--by-source: where the texts' vectors are kept")
    p.add_argument("--inputs", default="features,sentence",
                   help="--by-source: the encoder outputs the heads read (comma-separated)")
    p.add_argument("--only", help="--by-source: hold out only these units (comma-separated "
                   "sources, or 'brands' for the folds of care brands)")
    p.add_argument("--tone", action="store_true",
                   help="--by-source: the tone head against the encoder's own tone, each "
                   "source held out, and on the airline held-out share and TweetEval val")
    p.set_defaults(func=cmd_eval)  # fmt: skip

    p = sub.add_parser("export", help="write the int8 ONNX files and tokenizer the desk "
                       "serves from (model train runs it; torch needed)")
    p.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR,
                   help=f"a trained model folder (default: {DEFAULT_MODEL_DIR})")
    p.add_argument("--parts", default="encoder,sentence,tokenizer",
                   help="comma-separated: encoder (the fine-tuned tone encoder), sentence "
                   "(the base sentence encoder), tokenizer")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("outcomes", help="train and measure the outcome head on "
                       "sentiment/labels/outcomes.tsv (whole brands held out)")
    p.add_argument("--out", type=Path, help="where the head goes (default: the shipped "
                   "sentiment/outcome_head.npz)")
    p.add_argument("--dry-run", action="store_true", help="measure only; write nothing")
    p.add_argument("--corrections", type=Path, metavar="DB",
                   help="also learn the agents' outcome corrections stored in this "
                   "mentiondesk database (read-only; added to the shipped fit only)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_outcomes)

    p = sub.add_parser("topics", help="topic accuracy on a labelled set (topic<TAB>text)")
    p.add_argument("--data", type=Path, default=TOPICS_FILE,
                   help=f"default: {TOPICS_FILE.name}, Lumora-style mentions for "
                   "config/demo.toml's topics")
    p.set_defaults(func=cmd_topics)


def cmd_outcomes(args: argparse.Namespace, settings: Settings) -> int:
    """Choose settings on validation brands, report held-out brands, ship the refit head
    (docs/model.md, Outcomes)."""
    import hashlib

    from sentiment.embedding import Embedder
    from sentiment.outcome_labels import LABELS_FILE as OUTCOME_LABELS
    from sentiment.outcomes import HEAD_FILE, RULES, STRONG_FIX
    from sentiment.train_outcomes import format_report, run

    corrections = []
    digest = hashlib.sha1(OUTCOME_LABELS.read_bytes())
    # The rule words are head features too: new words are a new head.
    digest.update(json.dumps([RULES, sorted(STRONG_FIX)], sort_keys=True).encode())
    if args.corrections:
        from sentiment.train_outcomes import from_corrections
        from store import outcomes as outcome_store
        from store.db import Store

        rows = outcome_store.corrections(Store(args.corrections, readonly=True))
        corrections = from_corrections(rows)
        digest.update(json.dumps(rows, sort_keys=True, default=str).encode())
    version = "outcomes-" + digest.hexdigest()[:10]
    head, report = run(Embedder.load(), version, corrections)
    print(json.dumps(report) if args.json else format_report(report))
    if not args.dry_run:
        out = args.out or HEAD_FILE
        head.save(out)
        print(f"wrote {out} ({version})")
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    """Top-1 topic accuracy on a labelled set: by keywords, and by meaning."""
    from sentiment.batch import brand_terms
    from sentiment.embedding import Embedder
    from sentiment.topics import TopicFinder, keyword_topics, read_topic_set, topic_accuracy

    if not settings.topics:
        print("no [[topics]] configured; pass --config with topics")
        return 2
    head = Path(args.data).read_text(encoding="utf-8").split("\n", 1)[0]
    if head.startswith("source\t"):  # the care labels: real traffic to many brands
        from sentiment.train_data import care_topic_pairs

        pairs = care_topic_pairs(args.data)
    else:
        pairs = read_topic_set(args.data)
    texts = [text for _, text in pairs]
    finder = TopicFinder(list(settings.topics), Embedder.load().embed,
                         settings.triage.topic_min_similarity, brand_terms(settings))
    by_keywords = topic_accuracy(pairs, keyword_topics(texts, list(settings.topics)))
    by_meaning = topic_accuracy(pairs, finder.topics_of(texts))
    print(f"{args.data} ({counted(len(pairs), 'mention')}, topics: "
          f"{', '.join(t.name for t in settings.topics)}, else general)")  # fmt: skip
    print(f"top-1 accuracy by keywords: {by_keywords:.3f}")
    print(f"top-1 accuracy by meaning:  {by_meaning:.3f} "
          f"(min similarity {settings.triage.topic_min_similarity})")  # fmt: skip
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    stages = {s.strip() for s in args.stages.split(",") if s.strip()}
    unknown = stages - {"tone", "heads", "joint", "wide", "tone-head"}
    if unknown:
        print(f"unknown stage(s): {', '.join(sorted(unknown))}")
        return 2
    if "tone" in stages:
        from sentiment.train import train

        manifest = train(
            args.data, args.out, seed=args.seed, epochs=args.epochs,
            batch_size=args.batch_size, max_length=args.max_length, lr=args.lr,
            freeze_layers=args.freeze_layers, airline_repeat=args.airline_repeat,
            threads=args.threads, max_minutes=args.max_minutes,
        )  # fmt: skip
        for name, report in manifest["figures_fp32"].items():
            print(f"tone, {name}: macro recall {report['macro_recall']:.4f}, "
                  f"negative F1 {report['negative_f1']:.4f}")  # fmt: skip
    if "heads" in stages:
        from sentiment.train_heads import train_heads

        section = train_heads(args.out, args.data, args.labels, seed=args.seed,
                              max_length=args.max_length, threads=args.threads)  # fmt: skip
        _print_heads(section)
    if "joint" in stages:
        from sentiment.train_joint import fine_tune_jointly

        manifest = fine_tune_jointly(
            args.out, args.data, args.out, args.labels, steps=args.joint_steps,
            batch_size=args.batch_size, max_length=args.max_length, seed=args.seed,
            threads=args.threads, max_minutes=args.max_minutes,
        )  # fmt: skip
        _print_heads(manifest["heads"])
    if stages & {"tone", "joint"}:  # the encoder changed: the served files follow it
        from sentiment.export import export_serving
        from sentiment.train_tone import drop_stale_tone_head

        export_serving(args.out)
        stale = drop_stale_tone_head(Path(args.out))
        if stale is not None and "tone-head" not in stages:
            print(f"removed {stale} (fitted on the old encoder; refit: --stages tone-head)")
    if "wide" in stages:
        from sentiment.train_by_source import train_wide

        section = train_wide(args.data, args.serving, args.out, args.cache,
                             threads=args.threads)  # fmt: skip
        print("thresholds: " + ", ".join(f"{k} {v:.3f}"
                                         for k, v in section["heads"]["thresholds"].items()))
    if "tone-head" in stages:
        from sentiment.train_by_source import train_tone_stage

        section = train_tone_stage(args.data, args.serving, args.out, args.cache,
                                   threads=args.threads)
        print(f"tone head: blended at weight {section['tone_head']['weight']:.1f}")
    print(f"wrote {args.out}")
    return 0


def cmd_adapt(args: argparse.Namespace, settings: Settings) -> int:
    """Refit the heads on the labels in this desk's database (docs/model.md)."""
    from sentiment.adapt import AdaptError, adapt, summary
    from sentiment.train_by_source import _bar
    from store.corrections import desk_labels
    from store.schema import open_store

    found = desk_labels(open_store(settings.app.database), args.clock.now())
    try:
        outcome = adapt([c.text for c in found], [c.value for c in found],
                        [c.mention_id for c in found], args.shipped, settings.app.data_dir,
                        kinds=[c.kind for c in found], progress=_bar("fitting"),
                        encoding=_bar("encoding"), threads=args.threads)  # fmt: skip
    except AdaptError as exc:
        print(f"cannot adapt: {exc}")
        return 2
    print("\n".join(summary(outcome)))
    return 0 if outcome.switched else 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """The serving files of a trained folder (``sentiment.encoder`` reads them)."""
    from sentiment.export import export_serving

    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    unknown = set(parts) - {"encoder", "sentence", "tokenizer"}
    if unknown:
        print(f"unknown part(s): {', '.join(sorted(unknown))}")
        return 2
    for path in export_serving(args.model_dir, parts=parts):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _print_heads(section: dict) -> None:
    from sentiment.evaluate import BinaryReport, format_binary

    print("thresholds: " + ", ".join(f"{k} {v:.3f}" for k, v in section["thresholds"].items()))
    for report in section["figures"]["test"].values():
        print("held-out " + format_binary(BinaryReport(**report)))


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.transformer import load_classifier

    update: dict[str, object] = {}
    if args.model:
        update["name"] = args.model
    if args.no_quantize:
        update["quantize"] = False
    if args.by_source:
        return _eval_by_source(args)
    classifier = load_classifier(settings.model.model_copy(update=update))
    if args.labels:
        from sentiment.evaluate_heads import evaluate_labels, format_labels_report

        report = evaluate_labels(classifier, settings, args.data, args.labels,
                                 args.split or "test")  # fmt: skip
        if args.json:
            print(json.dumps({"model": classifier.name, "version": classifier.version,
                              **report}))  # fmt: skip
        else:
            print(f"model: {classifier.name} ({classifier.version})")
            print(format_labels_report(report))
        return 0

    from sentiment.evaluate import evaluate, format_report, load_dataset

    dataset = load_dataset(args.data, split=args.split, part=args.part)
    report = evaluate(classifier, dataset)
    if args.json:
        print(json.dumps({"model": classifier.name, "version": classifier.version,
                          "int8": classifier.quantized, **report.as_dict()}))  # fmt: skip
    else:
        print(f"model:              {classifier.name} ({classifier.version}, "
              f"int8 {classifier.quantized})")  # fmt: skip
        print(format_report(report))
    return 0


def _eval_by_source(args: argparse.Namespace) -> int:
    """Heads fitted once per held-out source on the fixed encoder's vectors; the tables."""
    from sentiment.evaluate_sources import format_tables, triage_table
    from sentiment.train_by_source import _bar, load_training
    from sentiment.train_wide import by_source_table, out_of_source

    inputs = tuple(n.strip() for n in args.inputs.split(",") if n.strip())
    if args.tone:
        return _eval_tone(args, inputs)
    rows, data, tone_logits = load_training(args.data, args.serving, args.cache, inputs=inputs)
    only = set(args.only.split(",")) if args.only else None
    probs = out_of_source(data, progress=_bar("held-out fits"), only=only)
    heads, decisions = by_source_table(data, probs), triage_table(rows, data, probs, tone_logits)
    if args.json:
        print(json.dumps({"heads": heads, "triage": decisions}))
    else:
        print(format_tables(heads, decisions))
    return 0


def _eval_tone(args: argparse.Namespace, inputs: tuple[str, ...]) -> int:
    """The tone head and its blend measured by held-out source and on the sets no one
    trained on; nothing is written."""
    from sentiment.train_by_source import measure_tone

    measured = measure_tone(args.data, args.serving, args.cache, inputs)
    if args.json:
        print(json.dumps({"by_source": measured.by_source, "heldout": measured.never_seen,
                          "weight": measured.weight}))
    else:
        print(measured.report(inputs))
    return 0
