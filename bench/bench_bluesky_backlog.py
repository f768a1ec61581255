"""How a Bluesky backlog drains under a tight rate limit, through the real atproto client.

10,000 unread mentions wait in the brand's notifications; the sandbox allows 15
``listNotifications`` calls per 5-minute window. The source polls every minute, as the
daemon would (a rate-limited source waits for the reset), on a manual clock. Prints the
polls, requests, 429s and rate windows it took, and checks that every mention arrived
exactly once.

Run: python bench/bench_bluesky_backlog.py
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr

from config.settings import BrandSettings
from core.clock import ManualClock
from core.errors import RateLimited
from listener.bluesky.client import BlueskyClient, Credentials
from listener.bluesky.settings import BlueskySourceSettings
from listener.bluesky.source import BlueskySource
from sandbox.bluesky_api import BlueskySandbox

BACKLOG, LIMIT = 10_000, 15
NOTIFICATIONS = "app.bsky.notification.listNotifications"


def main() -> None:
    clock = ManualClock()
    sandbox = BlueskySandbox(clock=clock, endpoint_limits={NOTIFICATIONS: LIMIT})
    start = clock.now() - timedelta(hours=20)
    seeded = {sandbox.add_post(f"fan{i}.bsky.social", f"@lumora.bsky.social lamp {i} broke",
                               created_at=start + timedelta(seconds=7 * i))
              for i in range(BACKLOG)}
    with sandbox:
        settings = BlueskySourceSettings(platform="bluesky", name="bench", brand="Lumora",
                                         service_url=sandbox.url, follower_lookup=False,
                                         notification_pages=LIMIT, backoff_seconds=0)
        client = BlueskyClient(settings, clock,
                               credentials=Credentials("lumora.bsky.social", SecretStr("x")))
        source = BlueskySource(settings, BrandSettings(name="Lumora", handles=["lumora"]),
                               clock, client)
        began = clock.now()
        cursor, got, polls, refused, idle = None, [], 0, 0, 0
        while idle < 2:
            polls += 1
            try:
                poll = source.poll(cursor)
            except RateLimited as exc:  # the pipeline pauses the source until the reset
                refused += 1
                clock.advance((exc.reset_at - clock.now()).total_seconds() + 1)
                continue
            got += [m.platform_id for m in poll.mentions]
            cursor = poll.cursor
            idle = idle + 1 if not poll.mentions else 0
            wait = (poll.retry_at - clock.now()).total_seconds() + 1 if poll.retry_at else 0
            clock.advance(max(60.0, wait))  # the pipeline pauses the source until retry_at
        calls = sandbox.count(NOTIFICATIONS)
        throttled = sum(1 for c in sandbox.calls if c.nsid == NOTIFICATIONS and c.status == 429)
        minutes = (clock.now() - began).total_seconds() / 60
    print(f"backlog {BACKLOG:,} mentions, limit {LIMIT} listNotifications per 5-minute window")
    print(f"stored {len(got):,}, unique {len(set(got)):,}, missing {len(seeded - set(got)):,}")
    print(f"polls {polls}, listNotifications calls {calls} ({throttled} answered 429), "
          f"source-level RateLimited {refused}")
    print(f"drained in {minutes:.0f} simulated minutes = {minutes / 5:.1f} rate windows "
          f"(lower bound {BACKLOG / 100 / LIMIT:.1f} windows at 100 per page)")
    assert len(got) == len(set(got)) == BACKLOG and set(got) == seeded


if __name__ == "__main__":
    main()
