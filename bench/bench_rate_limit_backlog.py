"""Drain a backlog larger than one rate-limit window through the real tweepy listener.

A backlog of 10,000 brand posts waits in the X sandbox, whose recent search allows 15
requests per 15-minute window (100 posts a page: 100 pages, about 7 windows). Each
poll keeps the pages it read before X's 429 and the cursor remembers the page token,
so the backlog drains window by window. (Before, a 429 threw the whole poll away and
the cursor never moved: with more than 15 pages waiting, no window ever finished.)
Prints windows, requests, posts stored, duplicates and loss; time is a manual clock.
Run: .venv/bin/python bench/bench_rate_limit_backlog.py [-n 10000] [--limit 15]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import BrandSettings
from core.clock import ManualClock
from core.errors import RateLimited
from listener.x.settings import XSourceSettings
from listener.x.source import XSource
from sandbox.x_api import XSandbox
from store import mentions, sources
from store.schema import open_store

BRAND = BrandSettings(name="Lumora", handles=["lumora"], keywords=["Lumora"])


def run(n: int, limit: int) -> None:
    clock = ManualClock()
    with XSandbox(brand_handle="lumora", clock=clock, rate_limits={"search": limit}) as sandbox, \
            tempfile.TemporaryDirectory() as tmp:
        start = clock.now() - timedelta(hours=20)
        posted = {sandbox.add_tweet(f"@lumora backlog post {i}", f"user{i % 997}",
                                    created_at=start + timedelta(seconds=i * 7))
                  for i in range(n)}
        store = open_store(Path(tmp) / "bench.db")
        settings = XSourceSettings(platform="x", name="x", brand="Lumora",
                                   api_base_url=sandbox.url)
        source = XSource(settings, BRAND, clock, bearer_token="bench")
        sources.ensure(store, "x", "x")
        polls = fetched = stored = limited = 0
        while True:
            polls += 1
            try:
                poll = source.poll(sources.get_cursor(store, "x"))
            except RateLimited as exc:  # nothing read this time: wait for the window
                limited += 1
                clock.advance((exc.reset_at - clock.now()).total_seconds() + 1)
                continue
            fetched += len(poll.mentions)
            stored += mentions.save_poll(store, "x", "Lumora", poll.mentions, poll.cursor,
                                         clock.now())
            if poll.retry_at is None:
                break
            limited += 1
            clock.advance((poll.retry_at - clock.now()).total_seconds() + 1)
        ids = {r["platform_id"] for r in store.query("SELECT platform_id FROM mentions")}
        store.close()
        requests = sandbox.count("/2/tweets/search/recent")
        refused = sum(1 for r in sandbox.requests if r.status == 429)
    windows = limited + 1
    print(f"backlog {n} posts, search limit {limit} requests per 15-minute window:")
    print(f"  drained in {polls} polls over {windows} rate-limit windows "
          f"(~{windows * 15} minutes of wall time at X's pace)")
    print(f"  search requests {requests} ({refused} answered 429), "
          f"minimum {-(-n // 100)} pages")
    print(f"  posts fetched {fetched}, stored {stored}, duplicates {fetched - stored}, "
          f"lost {len(posted - ids)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=15)
    args = parser.parse_args()
    run(args.n, args.limit)


if __name__ == "__main__":
    main()
