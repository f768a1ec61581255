"""mentiondesk command line: the daemon, the agent's review, the marketing report.

    python main.py run              the daemon (listeners, triage, drafts, publishing,
                                    metrics) with the web inbox
    python main.py poll --once      every stage once, then exit
    python main.py review           approve, edit or reject drafts in the terminal
    python main.py report [--csv F] hourly reputation metrics
    python main.py triage FILE|-    triage texts (one per line), JSON per line
    python main.py db migrate       apply pending schema migrations
    python main.py db backup FILE   a consistent copy while the daemon runs
    python main.py doctor           health: database, sources, queues, rows set aside
    python main.py sandbox          local X and Reddit API servers fed from the sample
    python main.py serve            the web inbox alone (no daemon jobs)
    python main.py users add NAME --role admin   web inbox accounts (add|list|disable|
                                    enable|reset-password|role); no default password

Exit codes: 0 ok, 1 runtime error (one line on stderr), 2 bad configuration.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from config.loader import load
from config.settings import Settings
from core.clock import Clock, SystemClock
from core.errors import ConfigError, MentiondeskError

log = logging.getLogger("mentiondesk")
SAMPLE = Path(__file__).resolve().parent / "samples" / "lumora_mentions.jsonl"  # shipped
Command = Callable[[argparse.Namespace, Settings], int]


def _configure_logging(settings: Settings) -> None:
    from config.secrets import SECRETS
    from core.logs import configure

    values = [os.environ.get(name, "") for name in SECRETS if not name.endswith("_USERNAME")]
    configure(settings.app.log_level, settings.app.log_format, values)


def _store(settings: Settings):
    from store.schema import open_store

    return open_store(settings.app.database)


def build_pipeline(settings: Settings, clock: Clock):
    """Everything the daemon's jobs need, built from settings."""
    from listener.platforms import build_publisher, build_source
    from pipeline.jobs import Pipeline
    from sentiment.transformer import load_classifier

    store = _store(settings)
    classifier = load_classifier(settings.model)
    log.info("model %s (version %s)", classifier.name, classifier.version)
    return Pipeline(
        store=store, settings=settings, classifier=classifier,
        sources={s.name: build_source(s, settings, clock) for s in settings.sources},
        publishers={s.name: build_publisher(s, settings, clock) for s in settings.sources},
        clock=clock,
    )


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import daemon

    clock = SystemClock()
    pipeline = build_pipeline(settings, clock)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    services = []
    if settings.web.enabled and not args.no_web:
        services.append(_web_service(pipeline.store, settings, clock))
    daemon.run(pipeline, stop, services)
    return 0


def _web_service(store, settings: Settings, clock: Clock):
    from web.server import WebService

    return WebService(store, settings, clock)


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    build_pipeline(settings, SystemClock()).run_once()
    return 0


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from terminal.review import review

    actor = settings.app.agent_name or os.environ.get("USER") or getpass.getuser()
    try:
        review(_store(settings), settings, SystemClock(), actor, input, sys.stdout)
    except (EOFError, KeyboardInterrupt):
        print()
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Read-only: the daemon refreshes the stored rollups; the recent hours are
    recomputed in memory here so the report is current even between refreshes."""
    from metrics.report import table, to_csv
    from pipeline.jobs import hourly_report
    from store.db import Store

    store = Store(settings.app.database, readonly=True)
    rows = hourly_report(store, SystemClock().now(), brand=args.brand or "")
    print(table(rows))
    _print_read_budgets(store, settings)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        args.csv.write_text(to_csv(rows), encoding="utf-8")
        print(f"\nwrote {len(rows)} rows to {args.csv}")
    return 0


def _print_read_budgets(store, settings: Settings) -> None:
    """X sources with a monthly read cap: used, left and projected for the period."""
    from listener.x.read_budget import summary
    from listener.x.settings import XSourceSettings
    from store import sources

    capped = [s for s in settings.sources
              if isinstance(s, XSourceSettings) and s.monthly_read_cap]
    for source in capped:
        budget = summary(sources.get_cursor(store, source.name), source.monthly_read_cap,
                         SystemClock().now(), source.read_cap_reset_day)
        print(f"{source.name}: {budget.line()}")


def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.classifier import Prediction
    from sentiment.transformer import load_classifier
    from sentiment.triage import Context, triage

    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with stream:
        texts = [line.rstrip("\n") for line in stream if line.strip()]
    classifier = load_classifier(settings.model)
    from listener.filters import matches_brand

    handles = [h for b in settings.brands for h in b.handles]
    keywords = [k for b in settings.brands for k in b.keywords]

    predictions: list[Prediction] = classifier.classify(texts)
    for text, prediction in zip(texts, predictions, strict=True):
        context = Context(addressed=args.addressed or matches_brand(text, handles, keywords, []),
                          followers=args.followers, age_minutes=0)
        t = triage(text, prediction, context, settings.topics, settings.triage,
                   settings.sla.first_response_minutes)
        print(json.dumps({
            "text": text, "label": prediction.label,
            "scores": {k: round(v, 4) for k, v in prediction.scores.items()},
            "needs_reply": t.needs_reply, "optional": t.optional, "reason": t.reason,
            "complaint": t.complaint, "topic": t.topic, "priority": t.priority,
            "factors": t.factors,
        }, ensure_ascii=False))
    return 0


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Both local API sandboxes, fed from the sample, until Ctrl-C or SIGTERM."""
    from sandbox import reddit_api, x_api

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    x_thread = threading.Thread(target=x_api.serve, daemon=True, kwargs={
        "host": args.host, "port": args.x_port, "sample_path": args.sample,
        "brand_handle": "lumora", "speed": args.speed, "stop": stop})
    x_thread.start()
    print(f"X API sandbox:      http://{args.host}:{args.x_port}\n"
          f"Reddit API sandbox: http://{args.host}:{args.reddit_port}\n"
          "Run the daemon against them: python main.py --config config/sandbox.toml run",
          flush=True)
    try:
        reddit_api.serve(args.host, args.reddit_port, args.sample, speed=args.speed, stop=stop)
    finally:
        stop.set()
        x_thread.join(5)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentiondesk", description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, help="TOML settings file "
                        "(default: $MENTIONDESK_CONFIG, else config/demo.toml)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run the daemon")
    p.add_argument("--no-web", action="store_true", help="do not serve the web inbox")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("poll", help="run every stage once")
    p.add_argument("--once", action="store_true", required=True)
    p.set_defaults(func=cmd_poll)

    sub.add_parser("review", help="review drafts in the terminal").set_defaults(func=cmd_review)

    p = sub.add_parser("report", help="hourly reputation metrics")
    p.add_argument("--csv", type=Path, help="also export the rows to this CSV file")
    p.add_argument("--brand", help="only this brand")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("triage", help="triage texts, one per line; prints JSON lines")
    p.add_argument("file", help="a file with one text per line, or - for standard input")
    p.add_argument("--followers", type=int, default=0, help="author reach to assume")
    p.add_argument("--addressed", action="store_true",
                   help="treat every text as addressed to the brand")
    p.set_defaults(func=cmd_triage)

    p = sub.add_parser("sandbox", help="local X and Reddit API servers fed from the sample")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--x-port", type=int, default=8790)
    p.add_argument("--reddit-port", type=int, default=8791)
    p.add_argument("--sample", type=Path, default=SAMPLE)
    p.add_argument("--speed", type=float, default=1.0)
    p.set_defaults(func=cmd_sandbox)

    _add_web_commands(sub)
    _add_model_commands(sub)
    _add_ops_commands(sub)
    for command in sub.choices.values():  # `mentiondesk run --config F` works too
        command.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                             help=argparse.SUPPRESS)
    return parser


def _add_ops_commands(sub: argparse._SubParsersAction) -> None:
    """`doctor` and `db migrate|backup|purge` (see docs/operations.md)."""
    from pipeline.ops_cli import register

    register(sub)


def _add_model_commands(sub: argparse._SubParsersAction) -> None:
    """`model train` and `model eval` (the sentiment model; see docs/model.md)."""
    from sentiment.model_cli import register

    register(sub)


def _add_web_commands(sub: argparse._SubParsersAction) -> None:
    """`serve` (the web inbox alone) and `users add|list|disable|enable|reset-password|role`."""
    from web.cli import register

    register(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load(args.config)
    except ConfigError as exc:
        print(f"mentiondesk: bad configuration: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        return args.func(args, settings)
    except ConfigError as exc:
        print(f"mentiondesk: bad configuration: {exc}", file=sys.stderr)
        return 2
    except MentiondeskError as exc:
        print(f"mentiondesk: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
