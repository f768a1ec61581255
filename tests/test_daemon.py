"""The daemon as an operator runs it: a real process, stopped by SIGTERM, restarted."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support import BASE_TOML, REPO, mention_line, write_jsonl


def count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def start(config: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "main.py", "--config", str(config), "run", "--no-web"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )


def stop(process: subprocess.Popen) -> tuple[float, str]:
    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return time.monotonic() - began, output


def test_sigterm_stops_within_5_seconds_and_a_restart_repeats_nothing(tmp_path):
    lines = [mention_line(str(i), f"@lumora order {i} never arrived, help?", offset=i * 0.5)
             for i in range(40)]
    mentions = write_jsonl(tmp_path / "m.jsonl", lines)
    config = tmp_path / "c.toml"
    config.write_text(BASE_TOML.format(tmp=tmp_path, mentions=mentions)
                      + "\n[pipeline]\ntriage_interval_seconds = 1\n"
                      "draft_interval_seconds = 1\n", encoding="utf-8")
    db = tmp_path / "desk.db"

    first = start(config)
    assert wait_for(lambda: count(db, "SELECT count(*) FROM drafts") >= 3, 120), (
        first.kill() or first.communicate()[0])
    took, output = stop(first)
    assert first.returncode == 0, output
    assert took < 5, output
    assert "stopped" in output
    assert "Traceback" not in output
    before = count(db, "SELECT count(*) FROM mentions")
    assert 0 < before < 40

    second = start(config)
    assert wait_for(lambda: count(db, "SELECT count(*) FROM drafts") == 40, 120), (
        second.kill() or second.communicate()[0])
    stop(second)
    assert count(db, "SELECT count(*) FROM mentions") == 40
    assert count(db, "SELECT count(DISTINCT platform_id) FROM mentions") == 40
    assert count(db, "SELECT count(DISTINCT mention_id) FROM drafts") == 40
