"""Start-up time of the daemon as an operator runs it: process start to "daemon running".

Starts ``main.py run`` (web inbox on, the shipped model, the demo's replay source, a
fresh SQLite file each time) ``--runs`` times and prints the median, the spread and the
daemon's resident memory at that moment. ``--repo`` measures another checkout (e.g. an
older commit unpacked with ``git archive``) with the same harness, for before/after.

Not a test: timings vary with the machine and its load. Run:
    .venv/bin/python bench/bench_start.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_for(repo: Path, folder: Path) -> Path:
    """The demo config with its database in ``folder``, its sample by absolute path and
    the web inbox on a free port."""
    text = (repo / "config" / "demo.toml").read_text(encoding="utf-8")
    text = text.replace('database = "data/demo.db"', f'database = "{folder}/demo.db"')
    text = text.replace('data_dir = "data"', f'data_dir = "{folder}/data"')
    text = text.replace('path = "samples/', f'path = "{repo}/samples/')
    text = text.replace("port = 8080", f"port = {free_port()}")
    path = folder / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_once(repo: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the process to its "daemon running" line, and its RSS then."""
    with tempfile.TemporaryDirectory() as tmp:
        config = config_for(repo, Path(tmp))
        started = time.perf_counter()
        daemon = subprocess.Popen([sys.executable, str(repo / "main.py"), "--config",
                                   str(config), "run"], cwd=tmp, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        assert daemon.stdout is not None
        took, rss, tail = None, 0.0, []
        for line in daemon.stdout:
            tail.append(line)
            if "daemon running" in line:
                took, rss = time.perf_counter() - started, rss_mb(daemon.pid)
                break
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.communicate()
        if took is None:
            raise SystemExit("the daemon exited before running:\n" + "".join(tail[-20:]))
        return took, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout to start")
    args = parser.parse_args()
    # A cache folder of its own that lives across the runs: a runtime that writes an
    # export there on its first start is measured warm afterwards (its best case).
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": cache}
        results = [start_once(args.repo.resolve(), env) for _ in range(args.runs)]
    times = sorted(t for t, _ in results)
    print(f"{args.repo.resolve()}: start to 'daemon running', {args.runs} runs: median "
          f"{statistics.median(times):.2f} s (min {times[0]:.2f}, max {times[-1]:.2f}; "
          f"first {results[0][0]:.2f}); RSS then median "
          f"{statistics.median(r for _, r in results):.0f} MB")


if __name__ == "__main__":
    main()
