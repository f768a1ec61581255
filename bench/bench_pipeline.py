"""Throughput end to end: the X sandbox -> stored -> triaged -> drafted, for a backlog.

The daemon's own stage methods (``Pipeline.poll_source``, ``triage_batch``,
``draft_batch``) with its settings (``pipeline.triage_batch_size``), the real tweepy
listener, the shipped model and a real SQLite file. Prints mentions per second, the
time split by stage, and the peak resident memory; with ``--mentions 100000`` it
prints RSS after every 10,000 so one can see it stay flat.

Not a test: timings vary with the machine and its load. Run:
    .venv/bin/python bench/bench_pipeline.py --mentions 10000
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from config.settings import ModelSettings  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from listener.platforms import build_publisher, build_source  # noqa: E402
from pipeline.jobs import Pipeline  # noqa: E402
from pipeline.settings import load_settings as load  # noqa: E402
from sandbox.x_api import XSandbox  # noqa: E402
from sentiment.classifier import Classifier  # noqa: E402
from sentiment.transformer import load_classifier  # noqa: E402
from store.schema import open_store  # noqa: E402

CONFIG = """
[app]
database = "{dir}/bench.db"
data_dir = "{dir}/data"

[[brands]]
name = "Lumora"
handles = ["lumora"]
keywords = ["Lumora"]

[[sources]]
platform = "x"
name = "x"
brand = "Lumora"
api_base_url = "{url}"
backfill_hours = 168

[[topics]]
name = "delivery"
keywords = ["order", "parcel", "delivery"]
kb_link = "https://help.lumora.example/orders"

[pipeline]
batch_size = 512
"""
TEXTS = ["@lumora my order {i} never arrived, it has been two weeks and nobody answers",
         "the Lumora lamp {i} is lovely, best purchase this year",
         "@lumora how do I reset bulb {i}? the app keeps saying offline",
         "Lumora hub {i} offline again",
         "@lumora I was charged twice for order {i}, please refund the second charge "
         "as soon as possible, this is the third time I ask"]


def rss_mb() -> float:
    """Current resident memory (MB), from /proc."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(total: int, chunk: int, classifier: Classifier, load_s: float) -> None:
    clock = ManualClock()
    times: Counter[str] = Counter()
    with XSandbox(brand_handle="lumora", clock=clock, rate_limits=dict.fromkeys(
            ("search", "mentions", "users", "me", "post"), 10**9)) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(CONFIG.format(dir=tmp, url=sandbox.url), encoding="utf-8")
        settings = load(config, env={})
        source = settings.sources[0]
        pipeline = Pipeline(
            store=open_store(settings.app.database), settings=settings, classifier=classifier,
            sources={source.name: build_source(source, settings, clock)},
            publishers={source.name: build_publisher(source, settings, clock)}, clock=clock)
        done = stored_total = 0
        while done < total or stored_total < total:
            n = min(chunk, total - done)
            base = clock.now() - timedelta(seconds=n)
            for i in range(n):
                k = done + i
                sandbox.add_tweet(TEXTS[k % len(TEXTS)].format(i=k), f"user{k % 4999}",
                                  created_at=base + timedelta(seconds=i))
            if n == 0:  # the last posts, held back by X's search lag
                clock.advance(60)
            stored = _timed(times, "poll + store", lambda: _poll_all(pipeline))
            stored_total += stored
            triaged = _timed(times, "triage", lambda: _drain(pipeline.triage_batch))
            drafted = _timed(times, "draft", lambda: _drain(pipeline.draft_batch))
            done += n
            clock.advance(n + 1)
            print(f"  {done:>7,} mentions sent: stored {stored}, triaged {triaged}, drafted "
                  f"{drafted}; RSS {rss_mb():.0f} MB")
        pipeline.store.close()
    busy = sum(times.values())
    print(f"{total:,} mentions sandbox -> stored -> triaged -> drafted in {busy:.1f} s: "
          f"{total / busy:,.0f} mentions/s (model load {load_s:.1f} s not counted)")
    for stage, seconds in times.items():
        print(f"  {stage:13s} {seconds:7.1f} s  {100 * seconds / busy:5.1f} %")
    print(f"peak RSS {peak_mb():.0f} MB")


def run_daemon(total: int) -> None:
    """The same backlog through `main.py run` (the scheduler's jobs, as deployed): time
    from the daemon's start to the last draft, read from the database."""
    with XSandbox(brand_handle="lumora", rate_limits=dict.fromkeys(
            ("search", "mentions", "users", "me", "post"), 10**9)) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        base = datetime.now(UTC) - timedelta(seconds=total + 120)  # older than search lag
        for k in range(total):
            sandbox.add_tweet(TEXTS[k % len(TEXTS)].format(i=k), f"user{k % 4999}",
                              created_at=base + timedelta(seconds=k))
        config = Path(tmp) / "bench.toml"
        config.write_text(CONFIG.format(dir=tmp, url=sandbox.url).replace(
            "backfill_hours = 168", "backfill_hours = 168\ninterval_seconds = 2")
            + "\n[web]\nenabled = false\n", encoding="utf-8")
        daemon = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "--config", str(config), "run"],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"})
        assert daemon.stdout is not None
        for line in daemon.stdout:
            if "daemon running" in line:
                break
        started, db = time.perf_counter(), Path(tmp) / "bench.db"
        threading.Thread(target=daemon.stdout.read, daemon=True).start()  # keep it flowing
        while True:
            time.sleep(1)
            with sqlite3.connect(db, timeout=10) as conn:
                stored, waiting = conn.execute(
                    "SELECT count(*), sum(status IN ('new', 'needs_reply')) FROM mentions"
                ).fetchone()
            if stored >= total and not waiting:
                break
        took = time.perf_counter() - started
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    print(f"daemon: {total:,} mentions sandbox -> drafted in {took:.1f} s: "
          f"{total / took:,.0f} mentions/s (model load not counted); "
          f"peak RSS of the daemon not sampled here (see /metrics in production)")


def _poll_all(pipeline: Pipeline) -> int:
    total = 0
    while (new := pipeline.poll_source("x")) > 0:
        total += new
    return total


def _drain(batch) -> int:
    total = 0
    while (n := batch()) > 0:
        total += n
    return total


def _timed(times: Counter, stage: str, fn):
    started = time.perf_counter()
    result = fn()
    times[stage] += time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=10_000,
                        help="mentions added to the sandbox before each round of stages")
    parser.add_argument("--daemon", action="store_true",
                        help="through `main.py run` instead of the stage methods")
    args = parser.parse_args()
    if args.daemon:
        run_daemon(args.mentions)
    else:
        # As in the daemon: the model loaded in the main thread, the stages run in a
        # worker thread. On the busy 2-core machine this matters: classifying in the
        # thread that loaded the model ran at 40 texts/s, in another thread at 160-280.
        started = time.perf_counter()
        classifier = load_classifier(ModelSettings())
        load_s = time.perf_counter() - started
        print(f"model loaded in {load_s:.1f} s; RSS {rss_mb():.0f} MB")
        worker = threading.Thread(target=run, args=(
            args.mentions, min(args.chunk, args.mentions), classifier, load_s))
        worker.start()
        worker.join()


if __name__ == "__main__":
    main()
