"""A server you can forget: health (public and detailed), Prometheus metrics, backups,
retention, upgrades from every earlier schema, a read-only report, redacted JSON logs."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import sqlite3

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

import main
from core.logs import configure
from store import drafts, operations, set_aside, users
from store.db import Store
from store.schema import migrations, open_store
from tests.support import Grumpy, mention_line
from tests.support.pipeline import approve_all, make_pipeline, sink
from web import auth
from web.app import create_app

PASSWORD = "a long enough secret"
LINES = [mention_line("1", "@lumora my order never arrived"),
         mention_line("2", "@lumora I was charged twice for one lamp")]


@pytest.fixture
def desk(make_settings, clock):
    pipeline = make_pipeline(make_settings(LINES), Grumpy(), clock)
    pipeline.run_once()
    users.add(pipeline.store, "olga", "viewer", auth.hash_password(PASSWORD), clock.now())
    return pipeline


@pytest.fixture
def client(desk, clock):
    return TestClient(create_app(desk.store, desk.settings, clock, "test-secret" * 4))


def log_in(client: TestClient) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/login", data={"username": "olga", "password": PASSWORD,
                                           "csrf_token": token, "next": "/health"})
    assert response.status_code == 200 and "Sources" in response.text


def test_healthz_is_public_and_says_only_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_healthz_says_not_ok_when_the_database_cannot_be_written(client, desk):
    blocker = sqlite3.connect(desk.settings.app.database, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    desk.store.db.conn.execute("PRAGMA busy_timeout = 50")
    try:
        response = client.get("/healthz")
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503 and response.json() == {"ok": False}


def test_health_detail_needs_a_login_and_shows_sources_queues_and_rows_set_aside(
        client, desk, clock):
    set_aside.hold(desk.store, "triage", 1, "ModelError: tensor size mismatch", clock.now(),
                   "replay")
    assert client.get("/health", follow_redirects=False).status_code == 303
    log_in(client)
    page = client.get("/health").text
    assert "replay" in page and "2026-11-23 09:00 UTC" in page  # its last success
    assert "awaiting approval" in page
    assert "tensor size mismatch" in page
    detail = client.get("/health?format=json").json()
    assert detail["writable"] is True
    assert detail["queues"]["awaiting_approval"] == 2
    assert detail["sources"][0]["name"] == "replay" and detail["sources"][0]["polls"] == 1
    assert detail["set_aside_count"] == 1


def metric_samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_in_prometheus_text_format(client, desk, clock):
    approve_all(desk.store, clock)
    desk.publish_batch()
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = metric_samples(response.text)
    assert samples[("mentiondesk_drafts", (("state", "posted"),))] == 2
    assert samples[("mentiondesk_queue_depth", (("queue", "untriaged"),))] == 0
    assert samples[("mentiondesk_polls_total", (("outcome", "ok"), ("source", "replay")))] >= 1
    assert samples[("mentiondesk_publish_outcomes_total",
                    (("outcome", "posted"), ("platform", "replay")))] >= 2
    assert ("mentiondesk_triage_batch_seconds_count", ()) in samples
    assert ("process_resident_memory_bytes", ()) in samples


def test_metrics_token_when_set(client, monkeypatch):
    monkeypatch.setenv("MENTIONDESK_METRICS_TOKEN", "s3cret-token")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and "mentiondesk_queue_depth" in ok.text


def test_backup_while_the_daemon_writes(desk, tmp_path, capsys):
    target = tmp_path / "backups" / "desk-copy.db"
    writer = sqlite3.connect(desk.settings.app.database)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE sources SET polls = polls + 100")  # uncommitted: not in the copy
    try:
        status = main.main(["--config", str(tmp_path / "config.toml"), "db", "backup",
                            str(target)])
    finally:
        writer.rollback()
        writer.close()
    assert status == 0 and "backed up" in capsys.readouterr().out
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2
    assert copy.execute("SELECT polls FROM sources").fetchone()[0] == 1
    assert main.main(["--config", str(tmp_path / "config.toml"), "db", "backup",
                      str(target)]) == 1  # never overwrites


def test_db_and_doctor_count_in_words(make_settings, clock, tmp_path, capsys):
    """`db migrate` said "applied 1 migrations ['m001_initial']" and `doctor --release`
    "released 1 rows": now the names are listed as words and one is singular."""
    settings = make_settings()
    config = ["--config", str(tmp_path / "config.toml")]
    assert main.main([*config, "db", "migrate"], clock) == 0
    names = [m.name for m in migrations._migrations]
    assert capsys.readouterr().out == (f"{settings.app.database}: applied {len(names)} "
                                       f"migrations: {', '.join(names)}\n")
    assert main.main([*config, "db", "migrate"], clock) == 0
    assert capsys.readouterr().out == f"{settings.app.database}: applied 0 migrations\n"
    store = Store(settings.app.database)
    set_aside.hold(store, "triage", None, "a test reason", clock.now())
    store.close()
    assert main.main([*config, "doctor", "--release"], clock) == 0
    assert capsys.readouterr().out == (
        "released 1 row; the stages try them again on their next run\n")


def test_doctor_reports_pending_migrations_and_applies_none(make_settings, clock, tmp_path,
                                                            capsys):
    """A file an older release made: doctor migrated it while checking (a check that
    wrote); now it says how far behind the schema is and which commands catch it up,
    exits 1, and leaves the file as it was. `--release` refuses on it too."""
    settings = make_settings()
    last = migrations._migrations[-1].name
    old = Store(settings.app.database)
    with old.reading() as db:
        migrations.apply(db, stop_before=last)
    old.close()
    before = hashlib.sha256(settings.app.database.read_bytes()).hexdigest()
    config = ["--config", str(tmp_path / "config.toml")]

    assert main.main([*config, "doctor"], clock) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"database   {settings.app.database}: writable, integrity ok, "
                      "1 migration pending")
    assert (f"PROBLEM    database schema is 1 migration behind ({last}); `main.py db "
            "migrate` or starting the daemon (`main.py run`) applies them") in out
    assert out[-1] == "1 problem"
    assert main.main([*config, "doctor", "--release"], clock) == 1
    assert "doctor --release: database schema is 1 migration behind" in \
        capsys.readouterr().err
    assert hashlib.sha256(settings.app.database.read_bytes()).hexdigest() == before
    with Store(settings.app.database).reading() as db:
        assert [m.name for m in migrations.pending(db)] == [last]

    assert main.main([*config, "db", "migrate"], clock) == 0
    capsys.readouterr()
    assert main.main([*config, "doctor"], clock) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("no migration pending") and out[-1] == "ok"


def test_retention_drops_raw_payloads_and_keeps_everything_else(desk, clock):
    desk.rollup_metrics()
    before = desk.store.query("SELECT * FROM metrics_hourly")
    assert operations.purge_raw(desk.store, 30, clock.now()) == 0  # too young
    clock.advance(days=31)
    assert operations.purge_raw(desk.store, 30, clock.now(), batch=1) == 2
    rows = desk.store.query("SELECT raw, raw_purged_at, text FROM mentions")
    assert {r["raw"] for r in rows} == {"{}"} and all(r["raw_purged_at"] for r in rows)
    assert all(r["text"] for r in rows)
    assert desk.store.query("SELECT * FROM metrics_hourly") == before
    assert len(drafts.pending(desk.store)) == 2


@pytest.mark.parametrize("upto", [m.name for m in migrations._migrations[1:]])
def test_upgrade_from_every_earlier_schema(upto, make_settings, clock, tmp_path):
    """A file made by an older release, with an approved reply in flight, upgrades on
    start and the reply goes out once."""
    settings = make_settings(LINES[:1])
    old = Store(settings.app.database)
    with old.reading() as db:
        migrations.apply(db, stop_before=upto)
        db.executescript("""
            INSERT INTO authors (id, platform, platform_user_id, handle, updated_at)
                VALUES (1, 'replay', 'u1', 'user1', '2026-11-23T08:00:00+00:00');
            INSERT INTO mentions (id, platform, platform_id, source, brand, author_id, text,
                created_at, fetched_at, status) VALUES (1, 'replay', '1', 'replay', 'Lumora',
                1, '@lumora my order never arrived', '2026-11-23T08:00:00+00:00',
                '2026-11-23T08:00:00+00:00', 'drafted');
            INSERT INTO triage (mention_id, label, scores, complaint, needs_reply, optional,
                reason, topic, priority, factors, model_name, model_version, triaged_at)
                VALUES (1, 'negative', '{}', 1, 1, 0, 'complaint', 'delivery', 0.5, '{}',
                'm', 'v', '2026-11-23T08:00:00+00:00');
            INSERT INTO drafts (id, mention_id, text, status, created_at, updated_at,
                approved_by, approved_at) VALUES (1, 1, 'Hi @user1, sorry!', 'approved',
                '2026-11-23T08:00:00+00:00', '2026-11-23T08:00:00+00:00', 'ann',
                '2026-11-23T08:01:00+00:00');
        """)
    old.close()
    pipeline = make_pipeline(settings, Grumpy(), clock)  # opens and migrates
    with pipeline.store.reading() as db:
        assert migrations.pending(db) == []
    pipeline.run_once()
    assert [r["text"] for r in sink(pipeline)] == ["Hi @user1, sorry!"]
    assert drafts.get(pipeline.store, 1)["draft_status"] == "posted"
    assert pipeline.store.query("SELECT count(*) AS n FROM mentions")[0]["n"] == 1


def test_report_reads_only(desk, tmp_path, capsys, clock):
    desk.store.close()
    db = desk.settings.app.database
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    db.chmod(0o444)
    try:
        status = main.main(["--config", str(tmp_path / "config.toml"), "report"], clock=clock)
    finally:
        db.chmod(0o644)
    out = capsys.readouterr().out
    assert status == 0 and "Lumora" in out and "replay" in out
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert operations.integrity(open_store(db)) == "ok"


def test_json_logs_redact_secrets(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO", "json", ["tok-123456789"])
    try:
        log = logging.getLogger("mentiondesk.test")
        log.warning("calling with tok-123456789 and Authorization: Bearer abc.def")
        try:
            raise ValueError("oauth_signature=\"zzz%3D\" in tok-123456789")
        except ValueError:
            log.exception("boom")
    finally:
        configure("INFO", "text", [])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["level"] == "WARNING" and lines[0]["logger"] == "mentiondesk.test"
    assert "tok-123456789" not in stream.getvalue() and "abc.def" not in stream.getvalue()
    assert "zzz" not in stream.getvalue()
    assert "[redacted]" in lines[0]["message"] and "ValueError" in lines[1]["message"]



def test_processes_starting_together_migrate_once(tmp_path):
    """The daemon, `review` and a systemd ExecStartPre may open a new file at once."""
    import threading

    path = tmp_path / "new.db"
    barrier, errors, stores = threading.Barrier(4), [], []

    def start() -> None:
        barrier.wait()
        try:
            stores.append(open_store(path))
        except Exception as exc:  # the failure this test is about
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with stores[0].reading() as db:
        assert migrations.pending(db) == []
        assert len(migrations.applied(db)) == len(migrations._migrations)


def test_a_backlog_is_worked_through_in_one_tick(make_settings, clock):
    """The daemon's triage and draft jobs run batch after batch until the queue is empty
    (not one batch of 64 per tick, as before)."""
    from pipeline.daemon import drain

    lines = [mention_line(str(i), f"@lumora order {i} never arrived") for i in range(30)]
    pipeline = make_pipeline(make_settings(lines, extra="[pipeline]\ntriage_batch_size = 7\n"
                                           "batch_size = 4\n"), Grumpy(), clock)
    pipeline.poll_source("replay")
    assert drain(pipeline.triage_batch)() == 30
    assert drain(pipeline.draft_batch)() == 30
    assert operations.queue_depths(pipeline.store)["awaiting_approval"] == 30
    assert drain(pipeline.triage_batch)() == 0
