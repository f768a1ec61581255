"""Local servers that speak the X API v2, Reddit API and Bluesky XRPC subsets mentiondesk
uses, and an OpenAI-compatible model server for AI drafts (``model_api``).

The real tweepy, praw and atproto clients talk to them in tests, in the demo, and when new
agents practise without posting in public. They import nothing from ``listener/`` or
``responder/``.
"""

from __future__ import annotations

import threading
from typing import Protocol

# What `main.py sandbox` runs: network -> (module with a foreground ``serve(host, port,
# sample_path, *, speed, stop)``, default port). A new network's sandbox adds a line.
SERVERS: dict[str, tuple[str, int]] = {
    "x": ("sandbox.x_api", 8790),
    "reddit": ("sandbox.reddit_api", 8791),
    "bluesky": ("sandbox.bluesky_api", 8792),
    "model": ("sandbox.model_api", 8793),
}


class _Stoppable(Protocol):
    def stop(self) -> None: ...


def run_until_stopped(server: _Stoppable, stop: threading.Event | None) -> None:
    """Keep a started sandbox serving in the foreground until ``stop`` or Ctrl-C."""
    stop = stop or threading.Event()
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
