"""Ingest 10,000 mentions from the X sandbox through the real tweepy listener.

Prints mentions per second and API requests per new mention next to the minimum
possible (ceil(n/100) requests for n posts at 100 a page), for one backfill poll and
for a live trickle (posts arriving between polls), each stored in a real SQLite file.
Not a test: timings vary with the machine. Run: .venv/bin/python bench/bench_x_ingest.py
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import BrandSettings
from core.clock import ManualClock
from listener.x.settings import XSourceSettings
from listener.x.source import XSource
from sandbox.x_api import XSandbox
from store import mentions, sources
from store.schema import open_store

BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora"])
TEXTS = ["@lumora my order {i} never arrived", "the Lumora lamp {i} is lovely",
         "@lumora how do I reset bulb {i}?", "Lumora hub {i} offline again"]


def run(n: int, batches: int) -> None:
    clock = ManualClock()
    with XSandbox(brand_handle="lumora", clock=clock) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        settings = XSourceSettings(platform="x", name="x", brand="Lumora",
                                   api_base_url=sandbox.url)
        source = XSource(settings, BRAND, clock, bearer_token="bench")
        sources.ensure(store, "x", "x")
        per_batch = n // batches
        new = requests = 0
        elapsed = 0.0
        for b in range(batches):
            clock.advance(per_batch + 1)  # these posts arrive after the previous poll
            base = clock.now() - timedelta(seconds=per_batch)
            for i in range(per_batch):
                sandbox.add_tweet(TEXTS[i % 4].format(i=b * per_batch + i), f"user{i % 997}",
                                  created_at=base + timedelta(seconds=i))
            started = time.perf_counter()
            poll = source.poll(sources.get_cursor(store, "x"))
            new += mentions.save_poll(store, "x", "Lumora", poll.mentions, poll.cursor,
                                      clock.now())
            elapsed += time.perf_counter() - started
            requests += poll.requests
        store.close()
    minimum = batches * math.ceil(per_batch / 100)
    print(f"{n} mentions in {batches} poll(s): {new} new, {elapsed:.2f}s, "
          f"{new / elapsed:,.0f} mentions/s (fetch + normalise + store)")
    print(f"  API requests {requests}, per new mention {requests / new:.4f}; "
          f"minimum ceil(n/100) = {math.ceil(n / 100)} ({math.ceil(n / 100) / n:.4f}); "
          f"minimum for {batches} poll(s) = {minimum}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=10_000)
    args = parser.parse_args()
    run(args.n, 1)  # one backfill poll
    run(args.n, 10)  # a live trickle: ten polls of n/10 new posts


if __name__ == "__main__":
    main()
