"""Fault campaign: SIGKILL the real daemon at random moments, and API chaos.

Kills (default): the daemon (`main.py run`) polls the X sandbox through tweepy, triages
with the shipped model, drafts and posts, while new mentions keep arriving and an agent
(another process's connection) approves drafts. It is killed with SIGKILL at a random
moment, restarted, killed again, ``--kills`` times; then it runs until every mention
is handled, and the campaign counts:

    mentions lost, mentions duplicated, replies posted twice, approved never posted,
    drafts stuck, PRAGMA integrity_check            (goal 0 / 0 / 0 / 0 / 0 / ok)

Chaos (``--chaos``): one daemon, two sources (X through the sandbox, and a replay
file); the X sandbox answers 429 storms with reset headers, 5xx bursts, time-outs,
truncated JSON and a 401 mid-run. The daemon must stay up and the replay source go on.

Not a test (tests/test_faults.py runs a 5-kill campaign). Run:
    .venv/bin/python bench/bench_faults.py --kills 200
    .venv/bin/python bench/bench_faults.py --chaos
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.clock import SystemClock  # noqa: E402
from core.errors import StoreError  # noqa: E402
from sandbox.x_api import XSandbox  # noqa: E402
from store import drafts  # noqa: E402
from store.schema import open_store  # noqa: E402

CONFIG = """
[app]
database = "{dir}/desk.db"
data_dir = "{dir}/data"

[web]
enabled = false

[[brands]]
name = "Lumora"
handles = ["lumora"]
keywords = ["Lumora"]

[[sources]]
platform = "x"
name = "x-lumora"
brand = "Lumora"
api_base_url = "{url}"
interval_seconds = 1
max_retries = 1
backoff_seconds = 0.1
timeout_seconds = {timeout}
backfill_hours = 1
{extra}
[pipeline]
triage_interval_seconds = 0.5
draft_interval_seconds = 0.5
publish_interval_seconds = 0.5
publish_lease_seconds = 3
publish_retry_seconds = 0.5
publish_retry_max_seconds = 4
"""
REPLAY = """
[[sources]]
platform = "replay"
name = "replay"
brand = "Lumora"
path = "{path}"
interval_seconds = 1
"""
TEXTS = ["@lumora my order {i} never arrived, please help", "@lumora lamp {i} keeps "
         "flickering, what do I do?", "@lumora I was charged twice for order {i}!",
         "@lumora hub {i} is offline again, fix it"]
# Where each kill lands: in the middle of an HTTP call of a poll or a post (the sandbox
# kills the daemon after doing what was asked, before answering: the classic unclear
# outcome), or a moment after a poll stored new mentions (triage running) or after
# triage found some needing a reply (drafting running).
KILL_POINTS = ("poll", "triage", "draft", "publish")
REQUESTS = {"poll": ("GET", "/2/tweets/search/recent"), "publish": ("POST", "/2/tweets")}
LOG_MARKERS = {"triage": "new, ", "draft": "triage: "}


class Daemon:
    """`main.py run` in a child process; remembers the last stage it logged."""

    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "--config", str(config), "run",
             "--no-web"], cwd=config.parent, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=env)
        self.running = threading.Event()
        self.lines: list[str] = []
        self.watch: tuple[str, threading.Event] | None = None  # (log marker, seen)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "daemon running" in line:
                self.running.set()
            watch = self.watch
            if watch and watch[0] in line and not line.split(watch[0])[1].startswith(" 0"):
                watch[1].set()
        self.process.stdout.close()  # the child is gone: no pipe left for the collector

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def alive(self) -> bool:
        return self.process.poll() is None


class Agent(threading.Thread):
    """Approves every pending draft, through its own connection, every few tenths."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.db, self.stop = db, threading.Event()
        self.approved = 0

    def run(self) -> None:
        while not self.db.exists() and not self.stop.is_set():
            time.sleep(0.1)
        store = open_store(self.db)  # takes its turn with the daemon's migrations
        clock = SystemClock()
        while not self.stop.wait(0.3):
            try:
                for d in drafts.pending(store, limit=50):
                    drafts.approve(store, d["draft_id"], "agent", d["version"], clock.now())
                    self.approved += 1
            except StoreError:
                continue  # a conflict or a busy database: the next round tries again
        store.close()


class Feeder(threading.Thread):
    """New mentions on the X sandbox, one every ``gap`` seconds."""

    def __init__(self, sandbox: XSandbox, gap: float) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.gap, self.stop = sandbox, gap, threading.Event()
        self.ids: list[str] = []

    def run(self) -> None:
        i = 0
        while not self.stop.wait(self.gap):
            self.ids.append(self.sandbox.add_tweet(TEXTS[i % len(TEXTS)].format(i=i),
                                                   f"user{i}"))
            i += 1


@dataclass
class Figures:
    kills: int = 0
    stages: collections.Counter = field(default_factory=collections.Counter)
    sent: int = 0
    stored: int = 0
    drafts: int = 0
    posted: int = 0
    lost: int = 0
    duplicated: int = 0
    posted_twice: int = 0
    approved_never_posted: int = 0
    stuck: int = 0
    set_aside: int = 0
    integrity: str = ""
    settled: bool = False
    seconds: float = 0.0

    def goal_met(self) -> bool:
        return self.settled and (
            self.lost, self.duplicated, self.posted_twice, self.approved_never_posted,
            self.stuck, self.integrity) == (0, 0, 0, 0, 0, "ok")

    def lines(self) -> list[str]:
        return [
            f"kills: {self.kills} (where: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.stages.items())) + ")",
            f"mentions sent {self.sent}, stored {self.stored}; drafts {self.drafts}; "
            f"replies posted {self.posted}; rows set aside {self.set_aside}",
            f"lost {self.lost} / duplicated {self.duplicated} / posted twice "
            f"{self.posted_twice} / approved never posted {self.approved_never_posted} / "
            f"stuck {self.stuck} / integrity {self.integrity}",
            f"goal 0/0/0/0/0/ok: {'met' if self.goal_met() else 'NOT MET'} "
            f"({self.seconds:.0f} s{'' if self.settled else '; did NOT settle in time'})",
        ]


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HF_HUB_OFFLINE": "1",
            "PYTHONPATH": str(REPO)}


def _write_config(work: Path, url: str, timeout: float = 3, extra: str = "") -> Path:
    config = work / "config.toml"
    config.write_text(CONFIG.format(dir=work, url=url, timeout=timeout, extra=extra),
                      encoding="utf-8")
    return config


def _wait_dead(daemon: Daemon, timeout: float) -> bool:
    try:
        daemon.process.wait(timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def _settled(db: Path, expected: set[str]) -> bool:
    with sqlite3.connect(db, timeout=10) as conn:
        stored = {r[0] for r in conn.execute("SELECT platform_id FROM mentions")}
        open_work = conn.execute(
            "SELECT (SELECT count(*) FROM mentions m WHERE status IN ('new', 'needs_reply')"
            "  AND NOT EXISTS (SELECT 1 FROM set_aside s WHERE s.mention_id = m.id"
            "  AND s.released_at IS NULL))"
            " + (SELECT count(*) FROM drafts WHERE status IN ('pending', 'approved',"
            " 'posting'))").fetchone()[0]
    return expected <= stored and open_work == 0


def campaign(kills: int, work: Path, seed: int = 1, max_up: float = 3.0, gap: float = 0.05,
             settle_timeout: float = 300, log=print) -> Figures:
    """Run the kill campaign in ``work`` and count what went wrong."""
    rng = random.Random(seed)
    figures = Figures()
    began = time.monotonic()
    with XSandbox(brand_handle="lumora", rate_limits=dict.fromkeys(
            ("search", "mentions", "users", "me", "post"), 1_000_000)) as sandbox:
        sandbox.refuse_duplicates = False  # a second post must count as one
        sandbox.latency = 0.01  # the daemon spends time inside HTTP calls, as in life
        _quiet(sandbox)
        config = _write_config(work, sandbox.url)
        db = work / "desk.db"
        feeder, agent = Feeder(sandbox, gap), Agent(db)
        feeder.start()
        agent.start()
        armed: dict[str, object] = {}
        answer = sandbox.handle

        def handle(method: str, path: str, *args: object) -> object:
            result = answer(method, path, *args)
            target = armed.get("request")
            if target == (method, path.rstrip("/")) and armed.pop("request", None):
                os.kill(int(armed["pid"]), signal.SIGKILL)  # before the answer goes out
            return result

        sandbox.handle = handle  # type: ignore[method-assign]
        for n in range(kills):
            point = KILL_POINTS[n % len(KILL_POINTS)]
            daemon = Daemon(config, _env())
            if not daemon.running.wait(120):
                raise SystemExit("the daemon did not start:\n" + "".join(daemon.lines))
            seen = threading.Event()
            if point in REQUESTS:
                time.sleep(rng.uniform(0, max_up))
                armed.update(pid=daemon.process.pid, request=REQUESTS[point])
                hit = _wait_dead(daemon, 60)
                armed.pop("request", None)
            else:
                daemon.watch = (LOG_MARKERS[point], seen)
                hit = seen.wait(60)
                time.sleep(rng.uniform(0, 0.3))
            figures.stages[point if hit else f"{point} (timed out, random)"] += 1
            if daemon.alive():
                daemon.kill()
            daemon.process.wait(30)
            figures.kills += 1
            if (n + 1) % 10 == 0 or n + 1 == kills:
                log(f"  {n + 1} kills, {len(feeder.ids)} mentions sent")
        feeder.stop.set()
        feeder.join()
        final = Daemon(config, _env())
        deadline = time.monotonic() + settle_timeout
        expected = set(feeder.ids)
        while time.monotonic() < deadline and not figures.settled:
            time.sleep(1)
            figures.settled = db.exists() and _settled(db, expected)
        agent.stop.set()
        agent.join()
        final.stop()
        _count(figures, db, sandbox, expected)
    figures.seconds = time.monotonic() - began
    return figures


def _count(figures: Figures, db: Path, sandbox: XSandbox, expected: set[str]) -> None:
    conn = sqlite3.connect(db)
    stored = [r[0] for r in conn.execute("SELECT platform_id FROM mentions")]
    figures.sent, figures.stored = len(expected), len(set(stored))
    figures.lost = len(expected - set(stored))
    figures.duplicated = len(stored) - len(set(stored))
    replies = collections.Counter(
        ref["id"] for t in sandbox.posts_by("lumora") for ref in t.get("referenced_tweets", [])
        if ref["type"] == "replied_to")
    figures.posted = sum(replies.values())
    figures.posted_twice = sum(n - 1 for n in replies.values() if n > 1)
    figures.drafts = conn.execute("SELECT count(*) FROM drafts").fetchone()[0]
    figures.approved_never_posted = conn.execute(
        "SELECT count(*) FROM drafts WHERE approved_by IS NOT NULL AND status != 'posted'"
    ).fetchone()[0]
    figures.set_aside = conn.execute(
        "SELECT count(*) FROM set_aside WHERE released_at IS NULL").fetchone()[0]
    figures.stuck = conn.execute(
        "SELECT (SELECT count(*) FROM mentions WHERE status IN ('new', 'needs_reply'))"
        " + (SELECT count(*) FROM drafts WHERE status IN ('pending', 'approved', 'posting'))"
    ).fetchone()[0]
    figures.integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()


def _quiet(sandbox: XSandbox) -> None:
    """A killed client resets its connection; that is the point, not worth a traceback."""
    server = sandbox._server
    if server is not None:
        server.handle_error = lambda request, address: None  # type: ignore[method-assign]


# --- API chaos ---------------------------------------------------------------------

CHAOS = [  # (name, how to break the X sandbox), each for one phase
    ("429 storm with reset headers", lambda sb: sb.fail_next(429, times=30, reset_in=4)),
    ("5xx burst", lambda sb: sb.fail_next(503, times=15)),
    ("time-outs", lambda sb: sb.slow_next(2.5, times=4)),
    ("truncated JSON", lambda sb: sb.malformed_next(times=8)),
    ("401 mid-run on search", lambda sb: sb.fail_next(401, times=3, path="/2/tweets/search")),
]


def chaos(work: Path, phase_seconds: float = 8, log=print) -> dict[str, object]:
    """One daemon through every kind of API failure; returns the figures printed."""
    lines = [json.dumps({"offset_s": i * 0.25, "platform": "x", "id": f"r{i}",
                         "author": {"id": f"a{i}", "handle": f"reader{i}"},
                         "text": f"@lumora replayed question {i}?", "lang": "en",
                         "kind": "post"}) for i in range(400)]
    (work / "replay.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with XSandbox(brand_handle="lumora", rate_limits=dict.fromkeys(
            ("search", "mentions", "users", "me", "post"), 1_000_000)) as sandbox:
        _quiet(sandbox)
        config = _write_config(work, sandbox.url, timeout=1,
                               extra=REPLAY.format(path=work / "replay.jsonl"))
        db = work / "desk.db"
        feeder, agent = Feeder(sandbox, 0.1), Agent(db)
        daemon = Daemon(config, _env())
        if not daemon.running.wait(120):
            raise SystemExit("the daemon did not start:\n" + "".join(daemon.lines))
        feeder.start()
        agent.start()
        replay_per_phase = {}
        for name, brk in [("calm", lambda sb: None), *CHAOS]:
            before = _stored(db, "replay"), _stored(db, "x-lumora")
            brk(sandbox)
            time.sleep(phase_seconds)
            replay_per_phase[name] = _stored(db, "replay") - before[0]
            log(f"  {name:30s} daemon {'up' if daemon.alive() else 'DOWN'}; stored meanwhile:"
                f" replay {replay_per_phase[name]}, X {_stored(db, 'x-lumora') - before[1]}")
        up = daemon.alive()
        feeder.stop.set()
        agent.stop.set()
        code = daemon.stop() if up else daemon.process.returncode
        errors = collections.Counter()
        for line in daemon.lines:
            for kind in ("rate limited", "posting on x-lumora paused", "gave up after",
                         "unreadable", "not posted", "credentials refused", "Traceback"):
                if kind in line:
                    errors[kind] += 1
        conn = sqlite3.connect(db)
        sources = {r[0]: r[1:] for r in conn.execute(
            "SELECT name, polls, fetched, errors, paused_reason FROM sources")}
        posted = conn.execute("SELECT count(*) FROM drafts WHERE status = 'posted'"
                              ).fetchone()[0]
        conn.close()
    return {"daemon_stayed_up": up, "exit_code": code, "replay_per_phase": replay_per_phase,
            "sources": sources, "log_lines_by_kind": dict(errors), "replies_posted": posted}


def _stored(db: Path, source: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM mentions WHERE source = ?",
                            [source]).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-up", type=float, default=3.0,
                        help="longest a daemon runs before its kill (seconds)")
    parser.add_argument("--chaos", action="store_true", help="API chaos instead of kills")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.chaos:
            print("API chaos against the X sandbox, a replay source beside it:")
            result = chaos(Path(tmp))
            for key, value in result.items():
                print(f"{key}: {value}")
            return
        print(f"fault campaign: {args.kills} SIGKILLs of the daemon (seed {args.seed})")
        figures = campaign(args.kills, Path(tmp), seed=args.seed, max_up=args.max_up)
        for line in figures.lines():
            print(line)


if __name__ == "__main__":
    main()
