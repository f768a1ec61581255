"""`main.py doctor` and `main.py db migrate|backup|purge`: the operator's commands.

``doctor`` exits 0 when all is well and 1 when something needs a look (rows set aside,
a source failing or paused, a database that is not writable, not intact or behind the
schema), so a cron job or a monitoring check can call it. It writes nothing: pending
migrations are reported, and applied by ``db migrate`` or the daemon's start.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from config.settings import Settings
from core.clock import from_iso
from core.errors import MentiondeskError
from core.words import counted
from store import operations, set_aside
from store.db import Store

if TYPE_CHECKING:  # the type only: pipeline/jobs.py is this package's own
    from pipeline.ai_drafts import AiDrafter
    from pipeline.jobs import Pipeline

# Past its undo window, an approved reply waits at most one publish run; this much more
# (plus two runs) and nobody is publishing: the daemon is stopped or stuck.
STUCK_MARGIN_S = 60


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="database, sources, queues and rows set aside")
    p.add_argument("--release", nargs="*", type=int, metavar="ID",
                   help="let rows set aside be tried again (all, or these ids)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("db", help="database maintenance")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("migrate", help="apply pending schema migrations")
    backup = actions.add_parser("backup", help="a consistent copy, safe while the daemon runs")
    backup.add_argument("target", type=Path, help="the new file")
    purge = actions.add_parser("purge", help="drop raw API payloads older than N days")
    purge.add_argument("--days", type=int, required=True)
    p.set_defaults(func=cmd_db)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from store.db import Store
    from store.schema import migrate, open_store

    if args.action == "migrate":
        applied = migrate(Store(settings.app.database))
        print(f"{settings.app.database}: applied {counted(len(applied), 'migration')}"
              + (f": {', '.join(applied)}" if applied else ""))
    elif args.action == "backup":
        pages = operations.backup(open_store(settings.app.database), args.target)
        print(f"backed up {settings.app.database} to {args.target} "
              f"({counted(pages, 'page')})")
    else:
        n = operations.purge_raw(open_store(settings.app.database), args.days,
                                 args.clock.now())
        print(f"dropped the raw payloads of {counted(n, 'mention')} older than "
              f"{counted(args.days, 'day')}")
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from store.schema import pending

    database = settings.app.database
    if not database.exists():  # a mistyped path: never create an empty desk and say "ok"
        raise MentiondeskError(f"doctor: no database at {database} (app.database; the "
                               "daemon or `main.py db migrate` creates it)")
    store = Store(database)
    # A check writes nothing: migrations pending are a finding, applied by `db migrate`
    # or the daemon's start, never behind the operator's back by a health check.
    behind = pending(store)
    if args.release is not None:
        if behind:
            raise MentiondeskError(f"doctor --release: {schema_behind(behind)}")
        n = set_aside.release(store, args.clock.now(), args.release or None)
        print(f"released {counted(n, 'row')}; the stages try them again on their next run")
        return 0
    report: dict[str, Any] = {"writable": operations.writable(store),
                              "integrity": operations.integrity(store), "behind": behind}
    if not behind:  # the other checks read tables and columns an old file lacks
        report.update(operations.status(store))
        report.update(timely(store, settings, args.clock.now()))
    return print_report(report, settings, sys.stdout)


def schema_behind(names: list[str]) -> str:
    """The finding for a database an older release made, with the commands that fix it."""
    return (f"database schema is {counted(len(names), 'migration')} behind "
            f"({', '.join(names)}); `main.py db migrate` or starting the daemon "
            "(`main.py run`) applies them")


def poll_once(pipeline: Pipeline, out: TextIO, ai: AiDrafter | None = None) -> int:
    """`main.py poll --once`: every stage once (the AI drafting job too, when it is on),
    then per source what it brought and, when nothing, why (paused, failing, a replay
    not yet due, or nothing new)."""
    before = operations.mentions_by_source(pipeline.store)
    pipeline.run_once()
    if ai is not None:
        decided = 0
        while batch := ai.run_batch(pipeline.store):  # 0 once nothing is due or it paused
            decided += batch
        until = ai.paused_until
        paused = (f"; paused until {until.isoformat(timespec='seconds')}"
                  if until is not None and until > pipeline.clock.now() else "")
        print(f"ai drafts  {decided} decided{paused}", file=out)
    after = operations.mentions_by_source(pipeline.store)
    health = {s["name"]: s for s in operations.source_health(pipeline.store)}
    now = pipeline.clock.now()
    for source in pipeline.settings.sources:
        new = after.get(source.name, 0) - before.get(source.name, 0)
        line = f"source     {source.name} ({source.platform}): {new} new"
        if not new:
            line += f", {_why_nothing(source, health.get(source.name, {}), now)}"
        print(f"{line}; {after.get(source.name, 0)} stored in all", file=out)
    print("queues     " + ", ".join(f"{k} {v}" for k, v in
                                    operations.queue_depths(pipeline.store).items()), file=out)
    return 0


def _why_nothing(source: Any, health: dict[str, Any], now: datetime) -> str:
    if health.get("paused_until") and from_iso(health["paused_until"]) > now:
        return f"paused until {health['paused_until']}: {health['paused_reason']}"
    if health.get("last_error") and (health.get("last_error_at") or "") >= (
            health.get("last_success_at") or ""):
        return f"failing: {health['last_error']}"
    if source.platform == "replay":
        return ("a replay releases each line offset_s seconds (at speed "
                f"{getattr(source, 'speed', 1):g}) after its first poll, and none is due "
                "yet: poll again later, or run the daemon (`main.py run`)")
    return "the platform had nothing newer than the last poll"


def timely(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    """What time says about the desk: replies approved long ago and never sent (no
    daemon publishing), and mentions past or near their first-response SLA."""
    pipeline, sla = settings.pipeline, settings.sla.first_response_minutes
    stuck_s = pipeline.undo_seconds + 2 * pipeline.publish_interval_seconds + STUCK_MARGIN_S
    breach = now - timedelta(minutes=sla)
    return {"stuck": {**operations.stale_approvals(store, now - timedelta(seconds=stuck_s)),
                      "after_s": stuck_s},
            "sla": {**operations.awaiting_first_reply(
                store, breach, breach + timedelta(minutes=settings.web.sla_warn_minutes)),
                "minutes": sla, "warn_minutes": settings.web.sla_warn_minutes}}


def problems(report: dict[str, Any]) -> list[str]:
    """What needs the operator, one line each."""
    found = []
    if not report["writable"]:
        found.append("the database is not writable")
    if report.get("integrity", "ok") != "ok":
        found.append(f"integrity check: {report['integrity']}")
    if report.get("behind"):
        found.append(schema_behind(report["behind"]))
    for source in report.get("sources", []):
        if source["paused_until"]:
            found.append(f"source {source['name']} paused until {source['paused_until']}: "
                         f"{source['paused_reason']}")
        elif source["last_error"] and (source["last_error_at"] or "") > (
                source["last_success_at"] or ""):
            found.append(f"source {source['name']} failing: {source['last_error']}")
    if report.get("set_aside_count"):
        found.append(f"{counted(report['set_aside_count'], 'row')} set aside "
                     "(main.py doctor lists them)")
    stuck = report.get("stuck")
    if stuck and stuck["count"]:
        found.append(f"{counted(stuck['count'], 'approved reply')} not sent "
                     f"{stuck['after_s']:g} s "
                     f"after approval (oldest approved {stuck['oldest']}): is the daemon "
                     "running? (`main.py run`, or `main.py poll --once` to publish now)")
    sla = report.get("sla")
    if sla and (sla["breached"] or sla["at_risk"]):
        found.append(f"{counted(sla['breached'] + sla['at_risk'], 'mention')} waiting for "
                     f"a first reply: {sla['breached']} past the {sla['minutes']}-minute SLA, "
                     f"{sla['at_risk']} within {counted(sla['warn_minutes'], 'minute')} of it")
    if report.get("queues", {}).get("needs_hand"):
        found.append(f"{counted(report['queues']['needs_hand'], 'reply')} failed or refused: "
                     "an agent must post them by hand")
    return found


def print_report(report: dict[str, Any], settings: Settings, out: TextIO) -> int:
    behind = report.get("behind", [])
    print(f"database   {settings.app.database}: "
          f"{'writable' if report['writable'] else 'NOT writable'}, "
          f"integrity {report['integrity']}, "
          + (f"{counted(len(behind), 'migration')} pending" if behind
             else "no migration pending"), file=out)
    if behind:
        print("           sources, queues and rows set aside are checked once the schema "
              "is current", file=out)
    for s in report.get("sources", []):
        print(f"source     {s['name']} ({s['platform']}): last success {s['last_success_at']},"
              f" polls {s['polls']}, fetched {s['fetched']}, requests {s['requests']},"
              f" errors {s['errors']}"
              + (f", last error {s['last_error_at']}: {s['last_error']}" if s["last_error"]
                 else "")
              + (f", paused until {s['paused_until']}" if s["paused_until"] else ""), file=out)
    if "queues" in report:
        print("queues     " + ", ".join(f"{k} {v}" for k, v in report["queues"].items()),
              file=out)
    for row in report.get("set_aside", []):
        print(f"set aside  #{row['id']} {row['stage']} mention {row['mention_id']} "
              f"({row['source']}) at {row['at']}: {row['reason']}", file=out)
    found = problems(report)
    for line in found:
        print(f"PROBLEM    {line}", file=out)
    print("ok" if not found else counted(len(found), "problem"), file=out)
    return 1 if found else 0
