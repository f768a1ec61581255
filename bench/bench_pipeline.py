"""Throughput end to end against the model's own rate, and the daemon's memory.

Default: one run prints (1) the model alone: the shipped classifier's batched rate on
the backlog's texts (one call, length-sorted batches: the ceiling), (2) the daemon:
``main.py run`` as deployed (scheduler, web off) against an X stand-in serving the same
backlog from its own process, timed from "daemon running" to the last mention stored,
triaged and drafted (read from the database), (3) their ratio, and the daemon's peak
RSS (``VmHWM``) with its RSS sampled as the backlog goes through (flat or not). The
texts are real care tweets (the shared airline set, addressed to the demo brand), else
the shipped Lumora sample.

``--stages`` runs the daemon's stage methods in this process instead (the stand-in in a
thread, a manual clock, the time split by stage), as before.

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


DATA = REPO.parent / "shared" / "data"  # the shared data folder beside the checkout


def care_texts(total: int, data: Path = DATA) -> list[str]:
    """``total`` real care texts addressed to @lumora (the airline set's tweets in
    ``data`` with their airline handle swapped, else the shipped sample's posts that
    name the brand), repeated as needed."""
    import csv
    import json
    import re

    airline = Path(data) / "airline-sentiment" / "train.csv"
    if airline.is_file():
        with airline.open(encoding="utf-8") as f:
            pool = [re.sub(r"^@\w+", "@lumora", row["text"]) for row in csv.DictReader(f)]
        pool = [t if "@lumora" in t else f"@lumora {t}" for t in pool]
    else:
        with (REPO / "samples" / "lumora_mentions.jsonl").open(encoding="utf-8") as f:
            pool = [json.loads(line)["text"] for line in f if line.strip()]
        pool = [t for t in pool if "lumora" in t.lower()]
    return [pool[k % len(pool)] for k in range(total)]


def serve_x(total: int, data: Path) -> None:
    """The X stand-in in its own process: ``total`` posts older than the search lag,
    its URL on stdout, served until stdin closes."""
    texts = care_texts(total, data)
    sandbox = XSandbox(brand_handle="lumora", rate_limits=dict.fromkeys(
        ("search", "mentions", "users", "me", "post"), 10**9))
    base = datetime.now(UTC) - timedelta(seconds=total + 120)
    for k, text in enumerate(texts):
        sandbox.add_tweet(text, f"user{k % 4999}", created_at=base + timedelta(seconds=k))
    with sandbox:
        print(sandbox.url, flush=True)
        sys.stdin.read()


def proc_kb(pid: int, field: str) -> float:
    """A /proc/PID/status figure in MB (VmRSS now, VmHWM the peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def model_alone(texts: list[str]) -> float:
    """The shipped classifier's own rate on these texts: one call, its batching."""
    import sentiment.transformer as loader

    if hasattr(loader, "load_models"):
        classifier, _ = loader.load_models(ModelSettings())
    else:  # an older checkout, copied in to measure it with the same harness
        classifier = loader.load_classifier(ModelSettings())
    classifier.classify(texts[:64])  # warm
    started = time.perf_counter()
    classifier.classify(texts)
    return len(texts) / (time.perf_counter() - started)


def run_daemon(total: int, data: Path) -> float:
    """The backlog through `main.py run` (the scheduler's jobs, as deployed): time from
    the daemon's start to the last draft, read from the database; returns the rate."""
    stand_in = subprocess.Popen([sys.executable, __file__, "--serve-x", str(total),
                                 "--data", str(data)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert stand_in.stdout is not None and stand_in.stdin is not None
    url = stand_in.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bench.toml"
        config.write_text(CONFIG.format(dir=tmp, url=url).replace(
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
        print(f"daemon running; RSS {proc_kb(daemon.pid, 'VmRSS'):.0f} MB", flush=True)
        threading.Thread(target=daemon.stdout.read, daemon=True).start()  # keep it flowing
        step, next_report = max(1, total // 10), max(1, total // 10)
        # Done when nothing waits and nothing new came for three poll intervals (the
        # source's own filters drop some posts, e.g. retweets, so fewer than ``total``
        # may be stored); the time is that of the last change.
        last, changed = (-1, -1), started
        while True:
            time.sleep(0.5)
            with sqlite3.connect(db, timeout=10) as conn:
                stored, waiting = conn.execute(
                    "SELECT count(*), coalesce(sum(status IN ('new', 'needs_reply')), 0) "
                    "FROM mentions").fetchone()
            done = stored - waiting
            if (stored, done) != last:
                last, changed = (stored, done), time.perf_counter()
            if done >= next_report:
                print(f"  {done:>7,} done ({stored:,} stored) in "
                      f"{time.perf_counter() - started:6.1f} s; daemon RSS "
                      f"{proc_kb(daemon.pid, 'VmRSS'):.0f} MB", flush=True)
                next_report = (done // step + 1) * step
            if stored and not waiting and time.perf_counter() - changed > 6:
                break
        took = changed - started
        peak = proc_kb(daemon.pid, "VmHWM")
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    stand_in.stdin.close()
    stand_in.wait(30)
    rate = stored / took
    print(f"daemon: {stored:,} mentions (of {total:,} posts) X stand-in -> stored -> triaged "
          f"-> drafted in {took:.1f} s: {rate:,.1f} mentions/s; daemon peak RSS {peak:.0f} MB")
    return rate


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
                        help="--stages: mentions added to the sandbox before each round")
    parser.add_argument("--stages", action="store_true",
                        help="the stage methods in this process instead of `main.py run`")
    parser.add_argument("--model-texts", type=int, default=5_000,
                        help="how many of the backlog's texts the model alone is timed on")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="the shared data folder (airline-sentiment/train.csv gives "
                        "the texts; without it, the shipped sample)")
    parser.add_argument("--serve-x", type=int, help=argparse.SUPPRESS)  # the stand-in
    args = parser.parse_args()
    if args.serve_x is not None:
        serve_x(args.serve_x, args.data)
    elif args.stages:
        # As in the daemon: the model loaded in the main thread, the stages run in a
        # worker thread.
        started = time.perf_counter()
        classifier = load_classifier(ModelSettings())
        load_s = time.perf_counter() - started
        print(f"model loaded in {load_s:.1f} s; RSS {rss_mb():.0f} MB")
        worker = threading.Thread(target=run, args=(
            args.mentions, min(args.chunk, args.mentions), classifier, load_s))
        worker.start()
        worker.join()
    else:
        texts = care_texts(min(args.mentions, args.model_texts), args.data)
        alone = model_alone(texts)
        print(f"model alone: {alone:,.1f} texts/s on {len(texts):,} of the backlog's texts "
              "(one call, length-sorted batches)", flush=True)
        rate = run_daemon(args.mentions, args.data)
        print(f"daemon end to end / model alone = {rate:,.1f} / {alone:,.1f} = "
              f"{100 * rate / alone:.0f}%")


if __name__ == "__main__":
    main()
