"""The web inbox under load: queue pages over 20,000 pending mentions while a writer
ingests (as the daemon does) and a stranger sprays log-ins (argon2 in worker threads).

Serves the real app with uvicorn on 127.0.0.1, times each request inside the server
(an ASGI wrapper, so the figures are server-side) and the page view's own CPU time (the
figure a busy shared machine inflates least), and prints p50 / p95 per page kind, the
size of a page of 50 items, and how many mentions the writer stored meanwhile.
Goal: queue page p95 < 150 ms. Not a test: timings vary with the machine.
Run: .venv/bin/python bench/bench_inbox.py [--pending 20000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import BrandSettings, Settings, TopicSettings
from core.clock import SystemClock
from core.mention import Author, Mention
from store import mentions, users
from store.schema import open_store
from web import context as web_context
from web.auth import hash_password
from web.server import WebService

PASSWORD = "bench password 123"
TOPICS = ["delivery", "billing", "account", "general"]
TEXTS = ["@acme my order {i} never arrived and support is silent",
         "@acme I was charged twice for order {i}, please refund",
         "@acme how do I reset the hub {i}? the app keeps crashing",
         "@acme parcel {i} stuck in the depot for a week"]


def fill(store, clock, start: int, n: int, batch: int = 500) -> int:
    """n triaged mentions with pending drafts, through the store's own write paths."""
    made = 0
    for lo in range(start, start + n, batch):
        now = clock.now()
        batch_mentions = [Mention(
            platform="replay", platform_id=f"b{i}", text=TEXTS[i % 4].format(i=i),
            author=Author(f"u{i % 3000}", f"user{i % 3000}", f"User {i}", (i * 37) % 90_000),
            created_at=now - timedelta(minutes=i % 180), url=f"https://x.example/s/{i}",
            conversation_id=f"c{i}") for i in range(lo, min(lo + batch, start + n))]
        mentions.save_poll(store, "replay", "Acme", batch_mentions, {}, now)
        ids = [r["id"] for r in store.query(
            "SELECT id FROM mentions WHERE status = 'new' ORDER BY id")]
        mentions.save_triage(store, [mentions.TriageRecord(
            mention_id=m, label=("negative", "neutral", "positive")[m % 3],
            scores={"negative": 0.7, "neutral": 0.2, "positive": 0.1}, complaint=m % 3 == 0,
            needs_reply=True, optional=False, reason="complaint", topic=TOPICS[m % 4],
            priority=round(0.2 + (m % 70) / 100, 3),
            factors={"negativity": 0.7, "reach": 0.3, "urgency": 0.0, "waiting": 0.1},
            model_name="bench", model_version="1") for m in ids], now)
        with store.atomic() as db:  # the drafting job's insert, batched for speed
            db.execute("UPDATE mentions SET status = 'drafted' WHERE status = 'needs_reply'")
            db.conn.executemany(
                "INSERT INTO drafts (mention_id, text, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                [(m, f"Hi @user{m % 3000}, sorry about this. Please DM us the order number"
                  " so we can sort it out. https://help.acme.example/orders ^Mia",
                  now.isoformat(), now.isoformat()) for m in ids])
        made += len(ids)
    return made


class CpuTimed:
    """Wraps web.context's thread-pool call to record each view's own CPU time (the
    thread's, so other processes on a busy machine do not count)."""

    def __init__(self) -> None:
        self.times: list[tuple[str, float]] = []
        self._pool = web_context.run_in_threadpool
        web_context.run_in_threadpool = self

    async def __call__(self, func, *args, **kwargs):
        def run():
            start = time.thread_time()
            try:
                return func(*args, **kwargs)
            finally:
                if args and hasattr(args[0], "url") and func.__name__ == "queue_page":
                    url = args[0].url
                    self.times.append((url.path + (f"?{url.query}" if url.query else ""),
                                       time.thread_time() - start))
        return await self._pool(run)


class Timed:
    """ASGI wrapper recording each HTTP request's time inside the server."""

    def __init__(self, app) -> None:
        self.app, self.times = app, []

    async def __call__(self, scope, receive, send) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode()
            self.times.append((scope["path"] + (f"?{query}" if query else ""),
                               time.perf_counter() - start))


def client(url: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url + "/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return opener, token


def log_in(url: str, name: str, password: str):
    opener, token = client(url)
    data = urllib.parse.urlencode({"csrf_token": token, "username": name,
                                   "password": password}).encode()
    with contextlib.suppress(urllib.error.HTTPError):
        opener.open(url + "/login", data=data).read()
    return opener


PAGES = {"queue page 1": "/queue", "queue page 200": "/queue?page=200",
         "search": "/queue?q=refund", "filtered": "/queue?sentiment=negative&topic=billing"}


def run_phase(title: str, store, clock, url: str, agent, timed: Timed, cpu: CpuTimed,
              seconds: float, first_id: int, write: bool, spray: bool) -> None:
    """Fetch the pages in a loop for ``seconds`` beside a busy writer (each second a
    poll of 100 mentions, their triage and drafts: three commits) and, if ``spray``,
    a stranger failing log-ins as fast as they can; print server-side times."""
    timed.times.clear()
    cpu.times.clear()
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        i = first_id
        while not stop.is_set():
            written[0] += fill(store, clock, i, 100, batch=100)
            i += 100
            stop.wait(1.0)

    threads = [threading.Thread(target=writer)] if write else []
    for t in threads:
        t.start()
    # The stranger is another process, as an attacker would be: no shared GIL.
    spraying = subprocess.Popen([sys.executable, __file__, "--spray", url]) if spray else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PAGES.values():
            agent.open(url + path).read()
    stop.set()
    for t in threads:
        t.join()
    if spraying is not None:
        spraying.terminate()
        spraying.wait()
    sprayed = sum(1 for p, _ in timed.times if p == "/login") // 2  # GET and POST each
    by_path = {p: k for k, p in PAGES.items()}
    walls: dict[str, list[float]] = {k: [] for k in PAGES}
    cpus: dict[str, list[float]] = {k: [] for k in PAGES}
    for times, kinds in ((timed.times, walls), (cpu.times, cpus)):
        for path, took in times:
            if path in by_path:
                kinds[by_path[path]].append(took)
    print(f"\n{title}: {written[0]:,} mentions written"
          + (f", {sprayed:,} log-in attempts" if spray else ""))
    for kind in PAGES:
        if len(walls[kind]) >= 2 and len(cpus[kind]) >= 2:
            wall, used = statistics.quantiles(walls[kind], n=20), statistics.quantiles(
                cpus[kind], n=20)
            print(f"  {kind:<15} n={len(walls[kind]):<4}"
                  f" wall p50 {1000 * statistics.median(walls[kind]):6.1f}"
                  f" p95 {1000 * wall[18]:6.1f} ms"
                  f" | view CPU p50 {1000 * statistics.median(cpus[kind]):5.1f}"
                  f" p95 {1000 * used[18]:5.1f} ms")


def spray_log_ins(url: str) -> None:
    """A stranger's loop: one failed log-in after another, until killed."""
    n = 0
    while True:
        log_in(url, f"guess{n}", "Winter2026!")
        n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--spray", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spray:
        spray_log_ins(args.spray)
        return
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        users.add(store, "alice", "agent", hash_password(PASSWORD), clock.now())
        t0 = time.perf_counter()
        fill(store, clock, 0, args.pending)
        print(f"filled {args.pending:,} pending mentions in {time.perf_counter() - t0:.1f} s")
        settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])],
                            topics=[TopicSettings(name=t) for t in TOPICS[:3]])
        service = WebService(store, settings, clock, host="127.0.0.1", port=0,
                             session_secret="bench-" + "s" * 30)
        cpu = CpuTimed()
        timed = Timed(service._server.config.app)
        service._server.config.app = timed
        service.start()
        url = service.url
        agent = log_in(url, "alice", PASSWORD)
        first = agent.open(url + "/queue").read()
        print(f"page of 50 items: {len(first) / 1024:.0f} KB, "
              f"{len(re.findall(rb'<[a-zA-Z]', first)):,} elements")
        phases = (("quiet (no writer)", False, False), ("while the writer ingests", True, False),
                  ("while the writer ingests and a stranger sprays log-ins", True, True))
        for n, (title, write, spray) in enumerate(phases):
            run_phase(title, store, clock, url, agent, timed, cpu, args.seconds,
                      args.pending + 10**6 * n, write, spray)
        print(f"\nload average of this machine: {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} cores (other work inflates the times above)")
        service.stop()
        store.close()


if __name__ == "__main__":
    main()
