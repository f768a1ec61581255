"""Dashboard and report queries over a year of rollups built from 1,000,000 synthetic
mentions; prints p50/p95 per query.

    python bench/bench_dashboard.py [--mentions 1000000] [--runs 30] [--db PATH]

The mentions never touch the raw tables: synthetic facts go straight through the
pure rollup (metrics.rollup) into the rollup tables, a day per transaction, as the
daemon's refresh would leave them. Goal: p95 < 200 ms per query on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metrics import report
from metrics.period import Period
from metrics.rollup import DraftFact, MentionFact, rollup
from store import analytics
from store import metrics as metric_store
from store.db import Store
from store.schema import open_store
from web.dashboard import SERIES_COLUMNS, TOPIC_COLUMNS, tables

START = date(2025, 11, 24)
BRANDS = (("Lumora", 0.7), ("Nova", 0.3))
PLATFORMS = (("x", 0.6), ("reddit", 0.3), ("bluesky", 0.1))
TOPICS = (("delivery", 0.2), ("billing", 0.15), ("outage", 0.1), ("app", 0.15),
          ("hardware", 0.1), ("account", 0.1), ("general", 0.2))
LANGS = (("en", 0.8), ("es", 0.07), ("de", 0.06), ("fr", 0.04), ("ja", 0.03))
LABELS = (("negative", 0.4), ("neutral", 0.35), ("positive", 0.25))
SLA_S = 3600
Maker = Callable[[random.Random], Callable[[], object]]


def pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def synthetic_day(rng: random.Random, day: date, count: int,
                  ) -> tuple[list[MentionFact], list[DraftFact]]:
    """``count`` mentions spread over the day, busier in the afternoon (UTC)."""
    facts, drafts = [], []
    weights = [1 + math.sin((h - 9) / 24 * 2 * math.pi) for h in range(24)]
    hours = rng.choices(range(24), weights, k=count)
    for h in hours:
        hour = f"{day.isoformat()}T{h:02d}"
        brand, platform = pick(rng, BRANDS), pick(rng, PLATFORMS)
        topic, lang, label = pick(rng, TOPICS), pick(rng, LANGS), pick(rng, LABELS)
        needs = label != "positive" and rng.random() < 0.6
        waited = rng.lognormvariate(7.5, 1.0) if needs and rng.random() < 0.85 else None
        author = rng.randrange(200_000)
        facts.append(MentionFact(
            hour, brand, platform, topic, lang, label, label == "negative" and needs, needs,
            f"user{author}", int(rng.paretovariate(1.2) * 50), waited,
            waited or rng.uniform(0, 86_400)))
        if needs:
            status = rng.choices(("posted", "rejected", "pending"), (0.85, 0.1, 0.05))[0]
            edited = rng.random() < 0.3
            approval = rng.lognormvariate(6.5, 1.0) if status == "posted" else None
            drafts.append(DraftFact(hour, brand, platform, topic, lang, status, edited,
                                    approval))
    return facts, drafts


def build(path: Path, mentions: int) -> Store:
    store = open_store(path)
    rng = random.Random(20261124)
    per_day = mentions // 365
    started = time.perf_counter()
    for d in range(365):
        day = START + timedelta(days=d)
        facts, drafts = synthetic_day(rng, day, per_day + (1 if d < mentions % 365 else 0))
        rows, authors = rollup(facts, drafts, SLA_S)
        with store.atomic() as db:
            metric_store.replace_hours(db, [f"{day.isoformat()}T{h:02d}" for h in range(24)],
                                       rows, authors)
    counts = store.query("SELECT (SELECT count(*) FROM rollup_hourly) AS hourly,"
                         " (SELECT count(*) FROM rollup_daily) AS daily,"
                         " (SELECT count(*) FROM rollup_authors) AS authors,"
                         " (SELECT sum(volume) FROM rollup_daily) AS mentions")[0]
    print(f"built in {time.perf_counter() - started:.0f} s: {counts['mentions']:,} mentions,"
          f" {counts['hourly']:,} hourly rows, {counts['daily']:,} daily rows,"
          f" {counts['authors']:,} top-author rows; {path.stat().st_size / 1e6:.0f} MB")
    return store


def timed(runs: int, make: Maker) -> tuple[float, float]:
    rng = random.Random(7)
    samples = []
    for _ in range(runs):
        call = make(rng)
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, math.ceil(0.95 * runs) - 1)]


def bench_refresh(path: Path, per_day: int) -> None:
    """The daemon's incremental refresh over raw rows: a day's first rebuild, then one
    late reply (one dirty hour) and a run with nothing changed."""
    from core.clock import ManualClock
    from core.mention import Author, Mention
    from pipeline.jobs import refresh_metrics
    from store import mentions

    store = open_store(path)
    rng = random.Random(3)
    day = datetime(2026, 11, 23, tzinfo=UTC)
    batch = [Mention("x", f"m{i}", f"text {i}", Author(f"a{i % 5000}", f"user{i % 5000}",
                                                       followers=rng.randrange(10_000)),
                     day + timedelta(seconds=rng.randrange(86_400)), lang="en")
             for i in range(per_day)]
    mentions.save_poll(store, "bench", "Lumora", batch, {}, day)
    ids = [r["id"] for r in store.query("SELECT id FROM mentions")]
    mentions.save_triage(store, [mentions.TriageRecord(
        i, pick(rng, LABELS), {}, False, rng.random() < 0.5, False, "bench",
        pick(rng, TOPICS), 0.5, {}, "bench", "1") for i in ids], day)
    clock = ManualClock(day + timedelta(days=2))
    for name, change in (("first rebuild of a day of raw mentions", None),
                         ("one late reply: one dirty hour", ids[len(ids) // 2]),
                         ("nothing changed", None)):
        if change is not None:
            with store.atomic() as db:
                db.execute("UPDATE mentions SET status = 'replied', replied_at = ? WHERE id = ?",
                           ["2026-11-24T10:00:00+00:00", change])
        t = time.perf_counter()
        hours = refresh_metrics(store, clock.now(), 60)
        print(f"refresh, {name:<44} {(time.perf_counter() - t) * 1000:8.1f} ms"
              f"  ({hours} hours rebuilt)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", type=Path, help="reuse or create the database here")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench.db"
    store = build(path, args.mentions) if not path.exists() else open_store(path)
    end = START + timedelta(days=364)

    def period(rng: random.Random, days: int) -> Period:
        first = START + timedelta(days=rng.randrange(0, 365 - days + 1))
        return Period(first, first + timedelta(days=days - 1))

    def on_scope(days: int, brand: bool, run: Callable[[analytics.Scope], object]) -> Maker:
        def make(rng: random.Random) -> Callable[[], object]:
            p = period(rng, days)
            scope = analytics.Scope(p.grain, *p.bounds(), brand="Lumora" if brand else "")
            return lambda: run(scope)
        return make

    def on_period(days: int, run: Callable[[Period], object]) -> Maker:
        def make(rng: random.Random) -> Callable[[], object]:
            p = period(rng, days)
            return lambda: run(p)
        return make

    def report_of(grain: str) -> Callable[[Period], object]:
        return lambda p: report.table(report.rows(analytics.aggregate(
            store, analytics.Scope(grain, *p.bounds(grain)), ("bucket", "brand", "platform"))))

    queries: dict[str, Maker] = {}
    for days, name in ((1, "1 day (hourly)"), (30, "30 days"), (365, "365 days")):
        for brand in (False, True):
            tag = f"{name}{', one brand' if brand else ''}"
            queries[f"totals, {tag}"] = on_scope(
                days, brand, lambda s: analytics.aggregate(store, s))
            queries[f"series by platform, {tag}"] = on_scope(
                days, brand, lambda s: analytics.aggregate(store, s, ("bucket", "platform"),
                                                           SERIES_COLUMNS))
            queries[f"complaints by topic, {tag}"] = on_scope(
                days, brand, lambda s: analytics.aggregate(store, s, ("topic",), TOPIC_COLUMNS))
            queries[f"top authors, {tag}"] = on_scope(
                days, brand, lambda s: analytics.top_authors(store, s))
        queries[f"whole page (6 queries + charts), {name}"] = on_period(
            days, lambda p: tables(store, p, {"brand": "", "platform": "", "topic": ""}))
    queries["filter menus (3 distinct)"] = on_period(
        1, lambda p: [analytics.values(store, k) for k in ("brand", "platform", "topic")])
    for days, name, grain in ((30, "30 days by day", "day"), (365, "365 days by day", "day"),
                              (2, "2 days by hour", "hour")):
        queries[f"report, {name}"] = on_period(days, report_of(grain))

    print(f"{'query':<52} {'p50 ms':>8} {'p95 ms':>8}   ({args.runs} runs each, ranges "
          f"drawn within {START}..{end})")
    for name, make in queries.items():
        p50, p95 = timed(args.runs, make)
        print(f"{name:<52} {p50:8.1f} {p95:8.1f}{'' if p95 < 200 else '  over 200 ms'}")
    store.close()
    print(f"database: {path} (reuse with --db)")
    bench_refresh(Path(tempfile.mkdtemp()) / "refresh.db", args.mentions // 365)


if __name__ == "__main__":
    main()
