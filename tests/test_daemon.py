"""The daemon as an operator runs it: a real process, stopped by SIGTERM, restarted."""

from __future__ import annotations

import logging
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.clock import SystemClock
from store.schema import open_store
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
    # Start-up says which configuration and database it uses, and each fact once.
    assert f"mentiondesk: config {config.resolve()} (--config)\n" in output
    # The resolved path only where it differs (a relative path, a link).
    where = str(db) if db == db.resolve() else f"{db} ({db.resolve()})"
    assert f"mentiondesk: database {where}\n" in output
    assert output.count(" version ") + output.count("(version ") == 1, output
    before = count(db, "SELECT count(*) FROM mentions")
    assert 0 < before < 40

    second = start(config)
    assert wait_for(lambda: count(db, "SELECT count(*) FROM drafts") == 40, 120), (
        second.kill() or second.communicate()[0])
    stop(second)
    assert count(db, "SELECT count(*) FROM mentions") == 40
    assert count(db, "SELECT count(DISTINCT platform_id) FROM mentions") == 40
    assert count(db, "SELECT count(DISTINCT mention_id) FROM drafts") == 40


def test_sighup_reloads_the_model_without_stopping_the_daemon(tmp_path):
    # `systemctl reload mentiondesk` after `model adapt`; with nothing adapted the
    # model in use stays, and the daemon goes on triaging.
    mentions = write_jsonl(tmp_path / "m.jsonl", [
        mention_line(str(i), f"@lumora order {i} never arrived, help?", offset=i * 0.5)
        for i in range(6)])
    config = tmp_path / "c.toml"
    config.write_text(BASE_TOML.format(tmp=tmp_path, mentions=mentions)
                      + "\n[pipeline]\ntriage_interval_seconds = 1\n", encoding="utf-8")
    db = tmp_path / "desk.db"
    daemon = start(config)
    assert wait_for(lambda: count(db, "SELECT count(*) FROM triage") >= 1, 120), (
        daemon.kill() or daemon.communicate()[0])
    daemon.send_signal(signal.SIGHUP)
    assert wait_for(lambda: count(db, "SELECT count(*) FROM triage") == 6, 60), (
        daemon.kill() or daemon.communicate()[0])
    time.sleep(0.5)  # the reload runs in its own thread; it reads two small files
    _, output = stop(daemon)
    assert daemon.returncode == 0, output
    assert "reload: model default version " in output and " unchanged" in output, output
    assert "Traceback" not in output and "ERROR" not in output


def test_a_stage_woken_while_it_runs_is_no_warning_but_a_stuck_poll_is(make_settings) -> None:
    """The relay wakes triage and drafting when work arrives; when the wake meets a run
    that already started, apscheduler skips it with a WARNING naming
    "_guarded.<locals>.run" (twice a minute in the demo's log). The running stage drains
    the rows, so that is no news; a poll still running at its next tick is, by name."""
    from pipeline.daemon import build_scheduler
    from pipeline.jobs import Pipeline

    settings = make_settings()
    pipeline = Pipeline(store=open_store(settings.app.database), settings=settings,
                        classifier=None, sources={}, publishers={},  # type: ignore[arg-type]
                        clock=SystemClock())
    release = threading.Event()
    started = {"triage": threading.Event(), "poll": threading.Event()}

    def blocking(name: str) -> Callable[..., int]:
        def run(*_: object) -> int:
            started[name].set()
            release.wait(30)
            return 0
        return run

    pipeline.triage_batch = blocking("triage")  # type: ignore[method-assign]
    pipeline.poll_source = blocking("poll")  # type: ignore[method-assign]
    warned: list[str] = []
    poll_warned = threading.Event()

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warned.append(record.getMessage())
            if "poll:" in record.getMessage():
                poll_warned.set()

    catch = Catch()
    logging.getLogger("apscheduler").addHandler(catch)
    scheduler = build_scheduler(pipeline)
    scheduler.start()
    try:
        assert started["triage"].wait(30) and started["poll"].wait(30)
        now = datetime.now(UTC)
        # Processed in this order: triage's skip first, then the poll's.
        scheduler.modify_job("triage", next_run_time=now)
        scheduler.modify_job("poll:replay", next_run_time=now + timedelta(milliseconds=1))
        assert poll_warned.wait(30)
    finally:
        release.set()
        scheduler.shutdown(wait=True)
        logging.getLogger("apscheduler").removeHandler(catch)
        pipeline.store.close()
    skipped = [m for m in warned if "skipped" in m]
    assert len(skipped) == 1 and 'job "poll:replay (' in skipped[0], warned


def test_a_port_in_use_stops_run_in_one_line_and_timings_still_measure(make_settings, tmp_path,
                                                                       capsys) -> None:
    """Another process on [web] port: `run` says so in one line before loading anything
    (it loaded the model, then logged uvicorn's ERROR and its own line); `doctor
    --timings` beside a running daemon measures on a free port instead of failing."""
    import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        make_settings(extra=f"[web]\nport = {port}\n")
        config = str(tmp_path / "config.toml")
        assert main.main(["--config", config, "run"]) == 1
        captured = capsys.readouterr()
        assert captured.err == (f"mentiondesk: web inbox: 127.0.0.1:{port} is in use (another"
                                " daemon? set [web] port or MENTIONDESK_WEB_PORT, or run"
                                " --no-web)\n")
        assert not (tmp_path / "desk.db").exists()  # it stopped before opening anything

        assert main.main(["--config", config, "doctor", "--timings"]) == 0
        assert 'process start to "daemon running"' in capsys.readouterr().out


def test_ctrl_c_during_start_up_is_one_line_not_a_traceback(make_settings, tmp_path, capsys,
                                                            monkeypatch) -> None:
    """Ctrl-C while the model loads (before the daemon's own handlers are set) printed
    a KeyboardInterrupt traceback; now one line and the shell's 130."""
    import main

    make_settings()

    def pressed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(main, "build_pipeline", pressed)
    assert main.main(["--config", str(tmp_path / "config.toml"), "run", "--no-web"]) == 130
    assert capsys.readouterr().err.endswith("\nmentiondesk: interrupted\n")
