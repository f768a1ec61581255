"""Each platform's sandbox, driven the same way for the contract suite
(tests/test_platform_contract.py).

A harness seeds posts that address the brand, injects the faults every network has in
some form (a rate limit part-way through reading, an answer lost after the post was
made), builds the platform's real source and publisher against its sandbox, and says
which replies the brand's account has on the platform. Adding a network to the
registry means adding its harness to ``HARNESSES`` (a test checks that none is missing).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from typing import Any, Protocol

from core.clock import ManualClock
from listener.base import MentionSource, Publisher


class Harness(Protocol):
    clock: ManualClock

    def __enter__(self) -> Harness: ...
    def __exit__(self, *exc: object) -> None: ...
    def seed(self, n: int) -> set[str]:
        """``n`` posts addressed to the brand, made in the last hours; their platform ids."""
    def source(self) -> MentionSource: ...
    def publisher(self) -> Publisher: ...
    def rate_limit_next_read(self) -> None:
        """The next read of a listing (after the first page where the API pages) is 429."""
    def lose_next_post_answer(self) -> None:
        """The next reply is made on the platform, but its answer is a 5xx."""
    def delete(self, platform_id: str) -> None:
        """Its author deletes the post."""
    def replies_to(self, platform_id: str) -> list[str]:
        """Ids of the brand's replies to the post ``platform_id`` on the platform."""


class XHarness:
    def __init__(self, clock: ManualClock) -> None:
        from sandbox.x_api import XSandbox

        self.clock = clock
        self.sandbox = XSandbox(brand_handle="lumora", clock=clock)
        self._stack = ExitStack()

    def __enter__(self) -> XHarness:
        self._stack.enter_context(self.sandbox)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def seed(self, n: int) -> set[str]:
        start = self.clock.now() - timedelta(hours=2)
        return {self.sandbox.add_tweet(f"@lumora my lamp {i} is broken", f"user{i}",
                                       created_at=start + timedelta(seconds=10 * i))
                for i in range(n)}

    def source(self) -> MentionSource:
        from tests.support.x import make_source

        return make_source(self.sandbox, self.clock)

    def publisher(self) -> Publisher:
        from tests.support.x import make_publisher

        return make_publisher(self.sandbox, self.clock)

    def rate_limit_next_read(self) -> None:
        self.sandbox.fail_next(429, path="/2/tweets/search", skip=1, reset_in=300)

    def lose_next_post_answer(self) -> None:
        self.sandbox.fail_next(503, path="/2/tweets", commit=True)

    def delete(self, platform_id: str) -> None:
        self.sandbox.delete(platform_id)

    def replies_to(self, platform_id: str) -> list[str]:
        return [t["id"] for t in self.sandbox.posts_by("lumora")
                if {"type": "replied_to", "id": platform_id} in t.get("referenced_tweets", [])]


class RedditHarness:
    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self._stack = ExitStack()
        self.sandbox: Any = None

    def __enter__(self) -> RedditHarness:
        from tests.support.reddit import sandbox

        self.sandbox = self._stack.enter_context(sandbox(self.clock))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def seed(self, n: int) -> set[str]:
        start = self.clock.now().timestamp() - 2 * 3600
        return {self.sandbox.add_submission("gadgets", f"Lumora lamp {i} is broken", "help",
                                            f"user{i}", created_utc=start + 10 * i)["name"]
                for i in range(n)}

    def source(self) -> MentionSource:
        from tests.support.reddit import make_source

        return make_source(self.sandbox, self.clock, username_mentions=False,
                           subreddit_comments=False)

    def publisher(self) -> Publisher:
        from tests.support.reddit import make_publisher

        return make_publisher(self.sandbox, self.clock)

    def rate_limit_next_read(self) -> None:
        self.sandbox.fail_next(429, path="/r/gadgets/search")

    def lose_next_post_answer(self) -> None:
        self.sandbox.fail_next(502, path="/api/comment", method="POST", commit=True)

    def delete(self, platform_id: str) -> None:
        self.sandbox.remove(platform_id, "deleted")

    def replies_to(self, platform_id: str) -> list[str]:
        return [c["name"] for c in self.sandbox.comments_by("lumora_support")
                if c["parent_id"] == platform_id]


class BlueskyHarness:
    def __init__(self, clock: ManualClock) -> None:
        from tests.support.bluesky import new_sandbox

        self.clock = clock
        self.sandbox = new_sandbox(clock)
        self._stack = ExitStack()

    def __enter__(self) -> BlueskyHarness:
        self._stack.enter_context(self.sandbox)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def seed(self, n: int) -> set[str]:
        start = self.clock.now() - timedelta(hours=2)
        return {self.sandbox.add_post(f"user{i}.bsky.social",
                                      f"@lumora.bsky.social my lamp {i} is broken",
                                      created_at=start + timedelta(seconds=10 * i))
                for i in range(n)}

    def source(self) -> MentionSource:
        from tests.support.bluesky import make_source

        return make_source(self.sandbox, self.clock)

    def publisher(self) -> Publisher:
        from tests.support.bluesky import make_publisher

        return make_publisher(self.sandbox, self.clock)

    def rate_limit_next_read(self) -> None:
        self.sandbox.fail_next(429, nsid="app.bsky.notification.listNotifications", skip=1,
                               reset_in=300)

    def lose_next_post_answer(self) -> None:
        self.sandbox.lose_next_answer("com.atproto.repo.createRecord")

    def delete(self, platform_id: str) -> None:
        self.sandbox.delete(platform_id)

    def replies_to(self, platform_id: str) -> list[str]:
        return [p["uri"] for p in self.sandbox.posts_by("lumora.bsky.social")
                if p["record"].get("reply", {}).get("parent", {}).get("uri") == platform_id]


HARNESSES: dict[str, type] = {"x": XHarness, "reddit": RedditHarness, "bluesky": BlueskyHarness}
# The replay platform reads a local file and writes a local sink: no network to fake.
OFFLINE = {"replay"}
