"""A burst of concurrent log-in guesses against the real server (issue 21): how many
were fully checked, how many refused at once, whether the right password sent late got
in, and how much the server's peak memory grew (each argon2 check holds 64 MiB).

Serves the app with uvicorn on 127.0.0.1 in this process, releases N attempts on one
account from one address together (threads behind a barrier), and prints the answers,
the peak of concurrent argon2 checks and the process's peak RSS before and after.
Not a test: memory figures depend on the allocator and the machine.
Run: .venv/bin/python bench/bench_login_burst.py [--attempts 45]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import BrandSettings, Settings
from core.clock import SystemClock
from store import users
from store.schema import open_store
from tests.support.argon import CountingHasher
from web import auth
from web.server import WebService

PASSWORD = "correct horse battery"


def peak_rss_mb() -> float:
    """VmHWM: the most resident memory this process ever had."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=45)
    args = parser.parse_args()
    n = args.attempts
    store = open_store(Path(tempfile.mkdtemp()) / "desk.db")
    clock = SystemClock()
    users.add(store, "alice", "agent", auth.hash_password(PASSWORD), clock.now())
    hasher = CountingHasher()
    auth._hasher = hasher
    settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])])
    service = WebService(store, settings, clock, host="127.0.0.1", port=0,
                         session_secret="bench-" + "s" * 30)
    service.start()
    clients = [httpx.Client(base_url=service.url, timeout=120) for _ in range(n)]
    tokens = [re.search(r'name="csrf-token" content="([^"]+)"', c.get("/login").text)
              .group(1) for c in clients]
    before = peak_rss_mb()
    gate = threading.Barrier(n)
    answers = [0] * n
    right = n - 5  # the right password, sent among the last

    def attempt(i: int) -> None:
        gate.wait()
        answers[i] = clients[i].post("/login", data={
            "csrf_token": tokens[i], "username": "alice",
            "password": PASSWORD if i == right else f"guess {i}"}).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    service.stop()
    print(f"attempts {n}: answers {dict(sorted(Counter(answers).items()))}; "
          f"right password (#{right + 1}) got {answers[right]}")
    print(f"argon2 checks at once, peak: {hasher.peak}")
    print(f"peak RSS: {before:.0f} MB before the burst, {peak_rss_mb():.0f} MB after")


if __name__ == "__main__":
    main()
