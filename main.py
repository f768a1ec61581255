"""mentiondesk command line: the daemon, the agent's review, the marketing report.

    python main.py run              the daemon (listeners, triage, drafts, publishing,
                                    metrics) with the web inbox
    python main.py poll --once      every stage once, then exit
    python main.py review           approve, edit or reject drafts in the terminal
    python main.py report [--since D --until D --brand B --platform P --by day|hour
                          --format table|csv|json] reputation metrics (read-only);
                          --outcomes: resolution and predicted CSAT breakdowns
    python main.py digest --dry-run [--day D --brand B]   the daily digest text the
                                    daemon would post, printed; nothing posted or recorded
    python main.py triage FILE|-    triage texts (one per line), JSON per line
    python main.py outcome FILE|-   outcome and predicted satisfaction of {"reply",
                                    "customer", "first"} JSON lines, JSON per line
    python main.py draft FILE|-     draft replies for texts (one per line), JSON per line;
                                    --stats: acceptance per template; --reminders
    python main.py db migrate       apply pending schema migrations
    python main.py db backup FILE   a consistent copy while the daemon runs
    python main.py doctor           health: database, sources, queues, rows set aside
    python main.py sandbox          local X, Reddit and Bluesky API servers fed from the
                                    sample, and a chat-completions model server
    python main.py serve            the web inbox alone (no daemon jobs)
    python main.py users add NAME --role admin   web inbox accounts (add|list|disable|
                                    enable|reset-password|role); no default password

Exit codes: 0 ok, 1 runtime error (one line on stderr), 2 bad configuration or argument,
130 Ctrl-C before a command handles it (one line).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import Settings
from core.clock import Clock, process_clock
from core.errors import ConfigError, MentiondeskError
from core.words import counted
from pipeline.settings import load_settings

if TYPE_CHECKING:
    from metrics.period import Period
    from pipeline.ai_drafts import AiDrafter
    from pipeline.jobs import Pipeline
    from sentiment.classifier import Classifier
    from sentiment.embedding import Embedder
    from sentiment.outcomes import OutcomeDecider
    from store.db import Store
    from web.server import WebService

log = logging.getLogger("mentiondesk")
SAMPLE = Path(__file__).resolve().parent / "samples" / "lumora_mentions.jsonl"  # shipped
Command = Callable[[argparse.Namespace, Settings], int]


def _configure_logging(settings: Settings) -> None:
    from config.secrets import SECRETS
    from core.logs import configure

    values = [os.environ.get(name, "") for name in SECRETS if not name.endswith("_USERNAME")]
    configure(settings.app.log_level, settings.app.log_format, values)


def _store(settings: Settings) -> Store:
    from store.schema import open_store

    return open_store(settings.app.database)


class StartTimes:
    """Where start-up goes: seconds per named step, in the order they ended
    (``main.py doctor --timings`` prints them; ``run`` logs them)."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = [("interpreter, imports, configuration",
                                                _process_age())]
        self._last = time.perf_counter()

    def mark(self, step: str, seconds: float | None = None) -> None:
        now = time.perf_counter()
        self.steps.append((step, now - self._last if seconds is None else seconds))
        self._last = now

    def line(self) -> str:
        return ", ".join(f"{step} {seconds:.2f} s" for step, seconds in self.steps)


def _process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def build_pipeline(settings: Settings, clock: Clock, times: StartTimes | None = None,
                   while_loading: Callable[[Store], object] | None = None) -> Pipeline:
    """Everything the daemon's jobs need, built from settings. The model loads in a
    second thread while the database opens, the listeners are built and
    ``while_loading(store)`` runs (the daemon builds its web inbox there): ONNX Runtime
    builds its sessions without holding the GIL, so start-up pays for the longer of the
    two, not both."""
    from concurrent.futures import ThreadPoolExecutor

    from listener.platforms import build_publisher, build_source
    from pipeline.jobs import Pipeline
    from sentiment import language
    from sentiment.adapt import desk_model
    from sentiment.batch import topic_finder_for
    from sentiment.transformer import load_models

    times = times or StartTimes()
    times.mark("imports: pipeline, stages")

    def models() -> tuple[tuple[Classifier, Embedder], float]:
        started = time.perf_counter()
        loaded = load_models(desk_model(settings))
        return loaded, time.perf_counter() - started

    # The language identifier loads in the background too, unwaited-for: the first
    # triage batch would otherwise pay for it.
    threading.Thread(target=language.warm, name="language-load", daemon=True).start()
    with ThreadPoolExecutor(1, thread_name_prefix="model-load") as pool:
        loading = pool.submit(models)
        store = _store(settings)
        times.mark("database: open, migrations")
        sources = {s.name: build_source(s, settings, clock) for s in settings.sources}
        publishers = {s.name: build_publisher(s, settings, clock) for s in settings.sources}
        times.mark("listeners and publishers")
        if while_loading is not None:
            while_loading(store)
            times.mark("web inbox: app")
        # One sentence encoder for the knowledge base, past replies and topics, fed by
        # the tone model's pass when both are served from the shipped ONNX files.
        (classifier, embedder), load_s = loading.result()
        times.mark(f"model: ONNX sessions, tokenizer, heads ({load_s:.2f} s in its thread)"
                   ", waited")
    pipeline = Pipeline(
        store=store, settings=settings, classifier=classifier, sources=sources,
        publishers=publishers, clock=clock, embedder=embedder,
        topic_finder=topic_finder_for(settings, embedder),
        outcome_decider=_outcome_decider(embedder),
    )
    times.mark("topic vectors")
    return pipeline


def _outcome_decider(embedder: Embedder) -> OutcomeDecider | None:
    """The outcome head over the shared encoder; None (silence only, logged) when its
    file cannot be read, so a missing head never stops listening and replying."""
    from sentiment.outcomes import OutcomeDecider

    try:
        return OutcomeDecider.load(embedder)
    except MentiondeskError as exc:
        log.error("outcomes: only no_answer is decided: %s", exc)
        return None


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from pipeline import daemon

    clock = args.clock
    times = StartTimes()
    services: list[daemon.Service] = []
    web = settings.web.enabled and not args.no_web
    if web:
        _port_free(settings.web.host, settings.web.port)
    for line in _origin(args, settings):
        log.info("%s", line)
    pipeline = build_pipeline(settings, clock, times, while_loading=(
        lambda store: services.append(_web_service(store, settings, clock))) if web else None)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(
        target=_reload_model, args=(pipeline,), name="model-reload", daemon=True).start())
    log.info("start-up: %s", times.line())
    daemon.run(pipeline, stop, services, _ai_drafter(pipeline, settings, clock))
    return 0


def _reload_model(pipeline: Pipeline) -> None:
    """SIGHUP (``systemctl reload mentiondesk``): the desk's current model from the next
    triage batch on, e.g. after ``model adapt``. Off the signal handler, in its own
    thread; a model it cannot serve is one line, and the model in use goes on."""
    try:
        log.info("%s", pipeline.reload_model())
    except (MentiondeskError, OSError, ValueError) as exc:
        log.error("reload: %s; still serving model %s version %s", exc,
                  pipeline.classifier.name, pipeline.classifier.version)


def cmd_start_timings(args: argparse.Namespace, settings: Settings) -> int:
    """`doctor --timings`: the steps `main.py run` takes before "daemon running", timed
    in this process (the web inbox and scheduler built and started, then stopped)."""
    from pipeline.daemon import build_scheduler

    clock = args.clock
    times = StartTimes()
    services: list = []
    pipeline = build_pipeline(settings, clock, times, while_loading=(
        # A free port: the daemon being measured may be running beside it.
        lambda store: services.append(_web_service(store, settings, clock, port=0)))
        if settings.web.enabled else None)
    web = services[0] if services else None
    scheduler = build_scheduler(pipeline)
    times.mark("scheduler: jobs")
    if web is not None:
        web.start()
        times.mark("web inbox: listening")
    scheduler.start(paused=True)
    times.mark("scheduler: started")
    total = sum(seconds for _, seconds in times.steps)  # wall time, step after step
    for step, seconds in times.steps:
        print(f"{seconds:7.2f} s  {step}")
    print(f"{total:7.2f} s  process start to \"daemon running\"")
    scheduler.shutdown(wait=False)
    if web is not None:
        web.stop()
    pipeline.store.close()
    return 0


def _ai_drafter(pipeline: Pipeline, settings: Settings, clock: Clock) -> AiDrafter | None:
    """The AI drafting job when ``[responder.ai] enabled`` (docs/responder.md)."""
    if not settings.responder.ai.enabled:
        return None
    from pipeline.ai_drafts import AiDrafter

    log.info("ai drafts from %s at %s", settings.responder.ai.model,
             settings.responder.ai.base_url)
    return AiDrafter(settings, pipeline.replies, clock)


def _web_service(store: Store, settings: Settings, clock: Clock,
                 port: int | None = None) -> WebService:
    from web.server import WebService

    return WebService(store, settings, clock, port=port)


def _port_free(host: str, port: int) -> None:
    """Refuse in one line, before the model loads, a port another process listens on
    (uvicorn would find out after start-up and log its own ERROR beside ours)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise MentiondeskError(
                f"web inbox: {host}:{port} is in use (another daemon? set [web] port or "
                "MENTIONDESK_WEB_PORT, or run --no-web)" if exc.errno == errno.EADDRINUSE
                else f"web inbox: cannot listen on {host}:{port}: {exc.strerror}") from None


def _origin(args: argparse.Namespace, settings: Settings) -> list[str]:
    """Which configuration file (and why that one) and database a command uses: the
    first questions of an operator whose desk shows nothing (`run` logs, `poll` prints)."""
    from config.loader import config_origin

    database, resolved = settings.app.database, settings.app.database.resolve()
    where = f"{database}" if database == resolved else f"{database} ({resolved})"
    return [f"config {config_origin(args.config, os.environ)}", f"database {where}"]


def cmd_poll(args: argparse.Namespace, settings: Settings) -> int:
    """Every stage once, saying which configuration and database it used and, for a
    source that brought nothing, why (a first-time operator's questions)."""
    from pipeline.ops_cli import poll_once

    for line in _origin(args, settings):
        name, value = line.split(" ", 1)
        print(f"{name:<10} {value}")
    pipeline = build_pipeline(settings, args.clock)
    return poll_once(pipeline, sys.stdout, _ai_drafter(pipeline, settings, pipeline.clock))


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    from core.errors import ActionRefused
    from terminal.review import desk_account, review

    store = _store(settings)
    try:  # a desk account, never the operating system's user name
        actor = desk_account(store, args.as_name or settings.app.agent_name)
    except ActionRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    edit: Callable[[str, str, int], str | None] | None = None
    width = 0  # a pipe: lines as they are
    if sys.stdin.isatty() and sys.stdout.isatty():
        from terminal.editor import editor

        edit = editor
        width = shutil.get_terminal_size().columns - 1
    try:
        review(store, settings, args.clock, actor, input, sys.stdout, edit, width)
    except (EOFError, KeyboardInterrupt):
        print()
    return 0


def _rollups(settings: Settings) -> Store:
    """The database opened read-only for a command that reads the rollups (report,
    digest preview): the daemon keeps them current; these commands never write."""
    from store import analytics
    from store.db import Store

    if not settings.app.database.exists():
        raise MentiondeskError(f"no database at {settings.app.database}; start the daemon")
    store = Store(settings.app.database, readonly=True)
    if not analytics.ready(store):
        raise MentiondeskError("the database has no rollups yet; run `main.py db migrate`"
                               " or start the daemon")
    return store


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """Read-only: the daemon keeps the rollups current; the report never writes."""
    from metrics import report
    from metrics.period import exact
    from store import analytics
    from store import metrics as metric_store

    store = _rollups(settings)
    try:
        period = exact(args.since, args.until, args.clock.now().date())
    except ValueError as exc:
        raise MentiondeskError(f"report: {exc}") from None
    if args.outcomes:
        return _report_outcomes(store, args, period)
    scope = analytics.Scope(args.by, *period.bounds(args.by), brand=args.brand or "",
                            platform=args.platform or "")
    rows = report.rows(analytics.aggregate(store, scope, ("bucket", "brand", "platform")))
    if not rows and args.brand and args.brand not in {b.name for b in settings.brands}:
        # A brand removed from the settings may still have history; one never seen is a typo.
        raise MentiondeskError(f"report: no brand named {args.brand!r} in the settings "
                               f"({', '.join(b.name for b in settings.brands)}) or the data")
    text = report.FORMATS[args.format](rows)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {counted(len(rows), 'row')} to {args.output}")
    else:
        print(text)
    if args.format == "table":
        _print_read_budgets(store, settings, args.clock.now())
        if pending := metric_store.pending_count(store):
            print(f"note: {counted(pending, 'hour')} changed since the daemon's last rollup "
                  "refresh")
        if not args.output:
            from metrics import outcomes

            kpis = outcomes.outcome_kpis(store, period, _report_filters(args))
            print("\n" + "\n".join(outcomes.lines(kpis)))
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    """`digest --dry-run`: the text the daemon would post for a local day (by default
    the latest due one), built as the daemon builds it; nothing is posted, written or
    recorded, and the database is opened read-only."""
    from pipeline.reporting import build_digest, digest_day, has_digest
    from store import analytics

    store = _rollups(settings)
    day = args.day or digest_day(settings, args.clock.now())
    names = [b.name for b in settings.brands]
    if args.brand and args.brand not in names and analytics.first_day(store, args.brand) is None:
        raise MentiondeskError(f"digest: no brand named {args.brand!r} in the settings "
                               f"({', '.join(names)}) or the data")
    if not settings.metrics.digest_enabled:
        print("note: [metrics] digest_enabled is off: the daemon writes and posts none",
              file=sys.stderr)
    texts = [build_digest(store, settings, brand, day).text()
             if has_digest(store, settings, brand, day) else
             f"No digest for {brand} on {day}: the brand's first mention came later.\n"
             for brand in ([args.brand] if args.brand else names)]
    sys.stdout.write("\n".join(texts))
    return 0


def _report_filters(args: argparse.Namespace) -> dict[str, str]:
    return {"brand": args.brand or "", "platform": args.platform or ""}


def _report_outcomes(store: Store, args: argparse.Namespace, period: Period) -> int:
    """`report --outcomes`: resolution, first-contact resolution, predicted CSAT and net
    sentiment change, overall and per topic, template, agent and platform."""
    from metrics import outcomes

    rows = outcomes.facts(store, period, _report_filters(args))
    if args.format == "csv":  # CSV lines end in CRLF (RFC 4180), the last one too
        text = outcomes.to_csv(rows)
    else:
        text = (json.dumps(outcomes.report(rows), indent=1) if args.format == "json"
                else outcomes.table(rows)) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote the outcomes of {counted(len(rows), 'conversation')} to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _print_read_budgets(store: Store, settings: Settings, now: datetime) -> None:
    """X sources with a monthly read cap or spend cap: used, left and projected."""
    from listener.x.read_budget import Budget, summary
    from listener.x.settings import XSourceSettings
    from store import sources

    for source in settings.sources:
        budget = Budget.of(source) if isinstance(source, XSourceSettings) else None
        if budget:
            figures = summary(sources.get_cursor(store, source.name), budget.cap,
                              now, budget.reset_day, money=budget.money)
            print(f"{source.name}: {figures.line()}")


def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.adapt import desk_model
    from sentiment.batch import Item, topic_finder_for, triage_items
    from sentiment.transformer import load_models

    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with stream:
        texts = [line.rstrip("\n") for line in stream if line.strip()]
    classifier, embedder = load_models(desk_model(settings))
    finder = topic_finder_for(settings, embedder)
    # One brand made of every configured brand's terms: the texts carry no brand.
    brand = settings.brands[0].model_copy(update={
        "handles": [h for b in settings.brands for h in b.handles],
        "keywords": [k for b in settings.brands for k in b.keywords],
        "always_reply_words": [w for b in settings.brands for w in b.always_reply_words],
        "never_reply_words": [w for b in settings.brands for w in b.never_reply_words],
    })
    items = [Item(text=text, brand=brand, followers=args.followers,
                  addressed=True if args.addressed else None) for text in texts]
    for start in range(0, len(items), 256):
        chunk = items[start : start + 256]
        for item, (prediction, t) in zip(chunk, triage_items(chunk, classifier, settings,
                                                              finder), strict=True):
            print(json.dumps({
                "text": item.text, "label": prediction.label,
                "scores": {k: round(v, 4) for k, v in prediction.scores.items()},
                "needs_reply": t.needs_reply, "unsure": t.unsure, "optional": t.optional,
                "reason": t.reason,
                "complaint": t.complaint, "spam": t.spam, "sarcasm": t.sarcasm,
                "topic": t.topic, "language": t.language, "role": t.role,
                "priority": t.priority, "factors": t.factors,
                "heads": {k: round(v, 4) for k, v in prediction.heads.items()},
                "rules": t.rules, "model_version": classifier.version,
            }, ensure_ascii=False))
    return 0


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """Every network's local API sandbox, fed from the sample, and the model server,
    until Ctrl-C or SIGTERM."""
    import importlib

    from sandbox import SERVERS, run_until_stopped

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = []
    for name, (module, default_port) in SERVERS.items():
        port = getattr(args, f"{name}_port", None) or default_port
        serve = importlib.import_module(module).serve
        thread = threading.Thread(target=serve, daemon=True, name=f"{name}-sandbox", kwargs={
            "host": args.host, "port": port, "sample_path": args.sample, "speed": args.speed,
            "stop": stop})
        thread.start()
        threads.append(thread)
        print(f"{name} API sandbox: http://{args.host}:{port}", flush=True)
    print("Run the daemon against them: python main.py --config config/sandbox.toml run",
          flush=True)

    class _Threads:
        def stop(self) -> None:
            stop.set()
            for thread in threads:
                thread.join(5)

    run_until_stopped(_Threads(), stop)
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

    p = sub.add_parser("review", help="review drafts in the terminal")
    p.add_argument("--as", dest="as_name", default="",
                   help="the desk account to act as (default: [app] agent_name)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("report", help="reputation metrics per day or hour (read-only)")
    p.add_argument("--since", type=_day, help="first day, YYYY-MM-DD "
                   "(default: 6 days before --until)")
    p.add_argument("--until", type=_day, help="last day, YYYY-MM-DD, inclusive "
                   "(default: today, UTC)")
    p.add_argument("--brand", help="only this brand")
    p.add_argument("--platform", help="only this platform")
    p.add_argument("--by", choices=["day", "hour"], default="day", help="row per day or hour")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--output", type=Path, help="write to this file instead of printing")
    p.add_argument("--outcomes", action="store_true", help="did our replies help: outcomes "
                   "and predicted CSAT per topic, template, agent and platform")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("digest", help="print the daily digest as it would be posted, "
                       "without posting or recording it (read-only)")
    p.add_argument("--dry-run", action="store_true", required=True,
                   help="print the text only (the daemon posts the digest itself)")
    p.add_argument("--day", type=_day, help="the local day (metrics.timezone), YYYY-MM-DD "
                   "(default: the latest day whose digest is due)")
    p.add_argument("--brand", help="only this brand (default: every brand)")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("triage", help="triage texts, one per line; prints JSON lines")
    p.add_argument("file", help="a file with one text per line, or - for standard input")
    p.add_argument("--followers", type=int, default=0, help="author reach to assume")
    p.add_argument("--addressed", action="store_true",
                   help="treat every text as addressed to the brand")
    p.set_defaults(func=cmd_triage)

    p = sub.add_parser("sandbox", help="local X, Reddit and Bluesky API servers fed from the "
                       "sample, and a chat-completions model server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--x-port", type=int, default=8790)
    p.add_argument("--reddit-port", type=int, default=8791)
    p.add_argument("--bluesky-port", type=int, default=8792)
    p.add_argument("--model-port", type=int, default=8793)
    p.add_argument("--sample", type=Path, default=SAMPLE)
    p.add_argument("--speed", type=float, default=1.0)
    p.set_defaults(func=cmd_sandbox)

    _add_web_commands(sub)
    _add_model_commands(sub)
    _add_draft_commands(sub)
    _add_outcome_commands(sub)
    _add_ops_commands(sub)
    sub.choices["doctor"].add_argument(
        "--timings", action="store_true",
        help="where the daemon's start-up goes: each step before \"daemon running\", timed")
    for command in sub.choices.values():  # `mentiondesk run --config F` works too
        command.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                             help=argparse.SUPPRESS)
    return parser


def _day(text: str) -> date:
    """A --since/--until day; a malformed one is argparse's one-line usage error (the
    report once showed the default week instead, as if it were the answer)."""
    from metrics.period import day

    try:
        return day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_draft_commands(sub: argparse._SubParsersAction) -> None:
    """`draft FILE|-`, `draft --stats`, `draft --reminders` (see pipeline/draft_cli.py)."""
    from pipeline.draft_cli import register

    register(sub)


def _add_outcome_commands(sub: argparse._SubParsersAction) -> None:
    """`outcome FILE|-` (see pipeline/outcome_cli.py and docs/outcomes-guide.md)."""
    from pipeline.outcome_cli import register

    register(sub)


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


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Run one command. ``clock`` is injected by tests so no command reads today's date;
    else it is the system's, moved by $MENTIONDESK_CLOCK_OFFSET_DAYS when set."""
    args = build_parser().parse_args(argv)
    try:
        args.clock = clock or process_clock(os.environ)
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"mentiondesk: bad configuration: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        if getattr(args, "timings", False):
            return cmd_start_timings(args, settings)
        return args.func(args, settings)
    except ConfigError as exc:
        print(f"mentiondesk: bad configuration: {exc}", file=sys.stderr)
        return 2
    except MentiondeskError as exc:
        print(f"mentiondesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before a command's own handling (the model loading)
        print("\nmentiondesk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
