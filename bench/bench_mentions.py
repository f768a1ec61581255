"""The mentions list behind dashboard points (/mentions): count + first page over raw
mentions, for the links a dashboard draws (an hour, a day, a day's platform or tone,
a week's topic, a month's author) and for no filter at all.

Builds N synthetic raw mentions over a year (triaged, 3,000 authors) straight into a
migrated SQLite file (plain INSERTs: the product's write paths are benched elsewhere),
then times ``store.listing.count`` + ``store.listing.page`` (what the page runs) and
prints p50 / p95 per link kind. Goal: p95 < 200 ms on 2 cores. A year filtered by tone
or topic misses it (triage has no index on them, so its count joins every mention of the
year), and more so without a range (the join then runs in author order). Not a test.
Run: .venv/bin/python bench/bench_mentions.py [--mentions 1000000] [--runs 20] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.clock import to_iso
from store import listing
from store.schema import open_store
from web.filters import moment

START = datetime(2025, 11, 24, tzinfo=UTC)
PLATFORMS = ("x", "reddit", "bluesky")
TONES = ("negative", "neutral", "positive")
TOPICS = ("delivery", "billing", "account", "app", "general")
AUTHORS = 3000


def build(path: Path, n: int) -> None:
    open_store(path).close()  # the schema, through the migrations
    rng = random.Random(14)
    db = sqlite3.connect(path)
    now = to_iso(START + timedelta(days=366))
    db.executemany("INSERT INTO authors (id, platform, platform_user_id, handle, followers,"
                   " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [(i, PLATFORMS[i % 3], f"u{i}", f"user{i}", rng.randrange(100_000), now)
                    for i in range(1, AUTHORS + 1)])
    step = 365 * 86_400 / n
    for lo in range(0, n, 50_000):
        rows, triage = [], []
        for i in range(lo, min(lo + 50_000, n)):
            author = rng.randrange(1, AUTHORS + 1)
            created = to_iso(START + timedelta(seconds=i * step))
            rows.append((i + 1, PLATFORMS[author % 3], f"p{i}", "bench", ("Lumora", "Nova")[i % 2],
                         author, f"mention {i} of the bench", f"https://x.example/{i}", created,
                         created, rng.choice(("no_action", "replied", "needs_reply"))))
            triage.append((i + 1, rng.choice(TONES), "{}", 0, 0, "bench", rng.choice(TOPICS),
                           0.5, "{}", "bench", "1", created))
        db.executemany("INSERT INTO mentions (id, platform, platform_id, source, brand,"
                       " author_id, text, url, created_at, fetched_at, status)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO triage (mention_id, label, scores, complaint, needs_reply,"
                       " reason, topic, priority, factors, model_name, model_version,"
                       " triaged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", triage)
        db.commit()
    db.execute("DELETE FROM rollup_dirty")
    db.commit()
    db.close()


def links(rng: random.Random) -> dict[str, Callable[[], dict[str, str]]]:
    """Filters like the dashboard's links, at a random place in the year."""

    def day() -> datetime:
        return START + timedelta(days=rng.randrange(1, 360))

    def span(start: datetime, length: timedelta) -> dict[str, str]:
        return {"since": moment(start.isoformat()) or "",
                "until": moment((start + length).isoformat()) or ""}

    return {
        "an hour": lambda: span(day() + timedelta(hours=rng.randrange(24)), timedelta(hours=1)),
        "a day": lambda: span(day(), timedelta(days=1)),
        "a day, one platform": lambda: {**span(day(), timedelta(days=1)),
                                        "platform": rng.choice(PLATFORMS)},
        "a day, one tone, one brand": lambda: {**span(day(), timedelta(days=1)),
                                               "sentiment": rng.choice(TONES),
                                               "brand": "Lumora"},
        "7 days, one topic": lambda: {**span(day(), timedelta(days=7)),
                                      "topic": rng.choice(TOPICS)},
        "30 days, one topic": lambda: {**span(day(), timedelta(days=30)),
                                       "topic": rng.choice(TOPICS)},
        "30 days, one author": lambda: {**span(day(), timedelta(days=30)),
                                        "author": f"user{rng.randrange(1, AUTHORS + 1)}"},
        "a year, one brand": lambda: {**span(START, timedelta(days=366)), "brand": "Nova"},
        "a year, one topic": lambda: {**span(START, timedelta(days=366)),
                                      "topic": rng.choice(TOPICS)},
        "one topic, no range": lambda: {"topic": rng.choice(TOPICS)},
        "everything": lambda: {},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "mentions.db"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.mentions)
        print(f"built {args.mentions:,} mentions in {time.perf_counter() - started:.0f} s")
    store = open_store(path)
    rng = random.Random(7)
    print(f"{'link':<28} {'p50 ms':>8} {'p95 ms':>8}  (count + first page of 50)")
    figures = {}
    for name, make in links(rng).items():
        spent = []
        for _ in range(args.runs):
            filters = make()
            t = time.perf_counter()
            listing.count(store, filters)
            listing.page(store, filters, limit=50)
            spent.append((time.perf_counter() - t) * 1000)
        spent.sort()
        p50, p95 = statistics.median(spent), spent[max(0, round(0.95 * len(spent)) - 1)]
        figures[name] = [round(p50, 1), round(p95, 1)]
        print(f"{name:<28} {p50:8.1f} {p95:8.1f}")
    print(json.dumps(figures))
    store.close()


if __name__ == "__main__":
    main()
