"""The store: a WAL file, migrations, idempotent polls, atomic units, an append-only log."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from core.mention import Author, Mention
from store import audit, mentions, sources
from store.db import Store
from store.schema import migrate, migrations, open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mention(i: int, text: str = "hello @lumora") -> Mention:
    return Mention(platform="x", platform_id=str(i), text=text,
                   author=Author(platform_id="a1", handle="ann", followers=5),
                   created_at=NOW, raw={"id": str(i), "extra": [1, 2]})


def test_database_is_a_wal_file_with_all_migrations(tmp_path, store):
    assert store.journal_mode() == "wal"
    assert (tmp_path / "desk.db").exists()
    with store.reading() as db:
        assert migrations.pending(db) == []
    assert migrate(store) == []  # applying again changes nothing


def test_migrations_run_in_number_order(store):
    """Whatever order store/schema.py defines them in (m007 came before m004 there)."""
    with store.reading() as db:
        applied = [m.name for m in migrations.applied(db)]
    assert applied == sorted(applied) and len(set(applied)) == len(applied)
    assert all(re.fullmatch(r"m\d{3}_\w+", name) for name in applied)
    numbers = [int(name[1:4]) for name in applied]
    assert len(set(numbers)) == len(numbers)  # one migration per number


def test_a_pause_keeps_its_kind(store):
    sources.ensure(store, "s", "x")
    sources.pause(store, "s", NOW, "auth: 401 Unauthorized", NOW, kind=sources.AUTH)
    assert sources.paused_kind(store, "s") == sources.AUTH
    sources.clear_pause(store, "s")
    assert sources.paused_kind(store, "s") == ""


def test_mentions_queued_by_hand_before_the_mark_existed_get_it_once(tmp_path):
    """m015: a database whose agents queued mentions by hand before ``queued_by_hand``
    existed marks those from their reason, and no other."""
    old = Store(tmp_path / "old.db")
    with old.reading() as db:
        migrations.apply(db, stop_before="m015_queued_by_hand")
    mentions.save_poll(old, "s", "Lumora", [mention(1), mention(2)], {}, NOW)
    with old.atomic() as db:
        for mention_id, reason in ((1, "an agent: needs a reply"), (2, "complaint")):
            db.execute("INSERT INTO triage (mention_id, label, scores, complaint, needs_reply,"
                       " optional, reason, topic, priority, factors, model_name, model_version,"
                       " triaged_at) VALUES (?, 'neutral', '{}', 0, 1, 0, ?, 'general', 0.5,"
                       " '{}', 'm', 'v', '2026-11-23T09:00:00+00:00')", [mention_id, reason])
    assert migrate(old) == ["m015_queued_by_hand"]
    marked = old.query("SELECT mention_id, queued_by_hand FROM triage ORDER BY mention_id")
    assert [(r["mention_id"], r["queued_by_hand"]) for r in marked] == [(1, 1), (2, 0)]


def test_poll_is_stored_once_with_its_raw_payload_and_cursor(store):
    sources.ensure(store, "s", "x")
    assert mentions.save_poll(store, "s", "Lumora", [mention(1), mention(2)],
                              {"since_id": "2"}, NOW) == 2
    # The same poll again (e.g. after a crash before the next one) stores nothing twice.
    assert mentions.save_poll(store, "s", "Lumora", [mention(2), mention(3)],
                              {"since_id": "3"}, NOW) == 1
    assert sources.get_cursor(store, "s") == {"since_id": "3"}
    rows = store.query("SELECT platform_id, raw FROM mentions ORDER BY id")
    assert [r["platform_id"] for r in rows] == ["1", "2", "3"]
    assert '"extra": [1, 2]' in rows[0]["raw"]
    assert store.query("SELECT count(*) AS n FROM authors")[0]["n"] == 1


def test_a_failed_unit_of_work_leaves_nothing_behind(store):
    sources.ensure(store, "s", "x")
    with pytest.raises(RuntimeError), store.atomic() as db:
        db.execute("UPDATE sources SET cursor = '{\"since_id\": \"9\"}' WHERE name = 's'")
        raise RuntimeError("crash between pages")
    assert sources.get_cursor(store, "s") is None


def test_audit_log_is_append_only(store):
    with store.atomic() as db:
        audit.record(db, NOW, "ann", "approved", note="ok")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.atomic() as db:
        db.execute("UPDATE audit SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"), store.atomic() as db:
        db.execute("DELETE FROM audit")
    assert [e["actor"] for e in audit.entries(store)] == ["ann"]


def test_reopening_keeps_everything(tmp_path, store):
    sources.ensure(store, "s", "x")
    mentions.save_poll(store, "s", "Lumora", [mention(1)], {"since_id": "1"}, NOW)
    store.close()
    again = open_store(tmp_path / "desk.db")
    assert again.query("SELECT count(*) AS n FROM mentions")[0]["n"] == 1
    again.close()


def test_reads_never_wait_behind_an_open_write(store):
    """The inbox reads on its own WAL connection: a daemon job holding the write lock
    neither blocks it nor shows it half-done work; the writer's own thread sees its own."""
    sources.ensure(store, "s", "x")
    opened, release, inside = threading.Event(), threading.Event(), []

    def daemon_job() -> None:
        with store.atomic() as db:
            db.execute("UPDATE sources SET polls = 7 WHERE name = 's'")
            inside.append(store.query("SELECT polls FROM sources")[0]["polls"])
            opened.set()
            release.wait(30)

    job = threading.Thread(target=daemon_job)
    job.start()
    assert opened.wait(30)
    seen: list[int] = []
    reader = threading.Thread(
        target=lambda: seen.append(store.query("SELECT polls FROM sources")[0]["polls"]))
    reader.start()
    reader.join(10)  # returns at once; before, it waited until the job committed
    finished = not reader.is_alive()
    release.set()
    job.join()
    reader.join()
    assert finished and seen == [0] and inside == [7]
    assert store.query("SELECT polls FROM sources")[0]["polls"] == 7
