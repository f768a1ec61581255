"""The schema as a sequence of registered migrations.

Never edit a migration that has shipped: add a new one. ``migrate`` applies what a
database lacks, so an old file upgrades itself on start.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from core.errors import StoreError
from store.db import Store

migrations = Migrations("mentiondesk")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE authors (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            platform_user_id TEXT NOT NULL,
            handle TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            followers INTEGER NOT NULL DEFAULT 0,
            verified INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            UNIQUE (platform, platform_user_id)
        );
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            platform_id TEXT NOT NULL,
            source TEXT NOT NULL,
            brand TEXT NOT NULL,
            author_id INTEGER NOT NULL REFERENCES authors(id),
            text TEXT NOT NULL,
            url TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT '',
            conversation_id TEXT NOT NULL DEFAULT '',
            in_reply_to_id TEXT NOT NULL DEFAULT '',
            engagement TEXT NOT NULL DEFAULT '{}',
            raw TEXT NOT NULL DEFAULT '{}',
            api_replyable INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'needs_reply', 'no_action', 'drafted', 'replied')),
            claimed_by TEXT,
            claimed_at TEXT,
            replied_at TEXT,
            UNIQUE (platform, platform_id)
        );
        CREATE INDEX mentions_status ON mentions(status);
        CREATE INDEX mentions_created ON mentions(created_at);
        CREATE TABLE triage (
            mention_id INTEGER PRIMARY KEY REFERENCES mentions(id),
            label TEXT NOT NULL,
            scores TEXT NOT NULL,
            complaint INTEGER NOT NULL,
            needs_reply INTEGER NOT NULL,
            optional INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL,
            topic TEXT NOT NULL,
            priority REAL NOT NULL,
            factors TEXT NOT NULL,
            model_name TEXT NOT NULL,
            model_version TEXT NOT NULL,
            triaged_at TEXT NOT NULL
        );
        CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            mention_id INTEGER NOT NULL REFERENCES mentions(id),
            text TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
                'pending', 'approved', 'rejected', 'posting', 'posted', 'failed', 'refused')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            approved_by TEXT,
            approved_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            manual_url TEXT NOT NULL DEFAULT '',
            posted_id TEXT,
            posted_url TEXT NOT NULL DEFAULT '',
            posted_at TEXT
        );
        CREATE INDEX drafts_status ON drafts(status);
        -- At most one reply goes out per mention, whoever approves it.
        CREATE UNIQUE INDEX drafts_one_reply ON drafts(mention_id)
            WHERE status IN ('approved', 'posting', 'posted');
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            mention_id INTEGER,
            draft_id INTEGER,
            before TEXT NOT NULL DEFAULT '',
            after TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            cursor TEXT,
            updated_at TEXT,
            paused_until TEXT,
            paused_reason TEXT NOT NULL DEFAULT '',
            last_error TEXT NOT NULL DEFAULT '',
            polls INTEGER NOT NULL DEFAULT 0,
            fetched INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE metrics_hourly (
            hour TEXT NOT NULL,
            brand TEXT NOT NULL,
            platform TEXT NOT NULL,
            volume INTEGER NOT NULL,
            negative INTEGER NOT NULL,
            neutral INTEGER NOT NULL,
            positive INTEGER NOT NULL,
            net_sentiment REAL NOT NULL,
            complaints INTEGER NOT NULL,
            needs_reply INTEGER NOT NULL,
            replies INTEGER NOT NULL,
            median_first_response_s REAL,
            PRIMARY KEY (hour, brand, platform)
        );
        """
    )


@migrations()
def m002_users(db: Database) -> None:
    """Web inbox accounts; ``session_epoch`` grows on reset or disable to end sessions."""
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('agent', 'drafter', 'viewer', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_login_at TEXT
        );
        """
    )



@migrations()
def m006_operations(db: Database) -> None:
    """Publishing leases and retry times; per-source health; rows set aside with a reason."""
    db.executescript(
        """
        ALTER TABLE drafts ADD COLUMN lease_owner TEXT;
        ALTER TABLE drafts ADD COLUMN lease_until TEXT;
        ALTER TABLE drafts ADD COLUMN next_attempt_at TEXT;
        ALTER TABLE sources ADD COLUMN last_success_at TEXT;
        ALTER TABLE sources ADD COLUMN last_error_at TEXT;
        ALTER TABLE sources ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN publish_paused_until TEXT;
        ALTER TABLE mentions ADD COLUMN raw_purged_at TEXT;
        CREATE TABLE set_aside (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL,
            mention_id INTEGER REFERENCES mentions(id),
            source TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            released_at TEXT
        );
        CREATE UNIQUE INDEX set_aside_held ON set_aside(stage, mention_id)
            WHERE released_at IS NULL;
        """
    )

def migrate(store: Store) -> list[str]:
    """Apply pending migrations; return their names.

    Processes starting together (the daemon, `main.py review`, a systemd ExecStartPre)
    take turns through a lock file beside the database, so a migration runs once.
    """
    with _migration_lock(store.path), store.reading() as db:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
    return pending


@contextmanager
def _migration_lock(path: Path) -> Iterator[None]:
    try:
        lock = open(path.with_name(path.name + ".migrate-lock"), "a")  # noqa: SIM115
    except OSError as exc:
        raise StoreError(f"cannot lock {path} for migrations: {exc}") from exc
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_store(path) -> Store:
    """Open (creating if needed) and migrate the database at ``path``."""
    store = Store(path)
    migrate(store)
    return store
