"""Opening the SQLite file and running units of work.

One file in WAL mode. Within a process writes go through one lock and one
connection (one writer); across processes (`main.py review` beside the daemon)
SQLite's busy timeout queues writers. ``query`` outside a transaction reads on the
calling thread's own connection: a WAL reader sees the last committed state and
never waits behind a writer, so the web inbox stays quick while the daemon ingests.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from core.errors import StoreError
from core.priority import reaged

BUSY_TIMEOUT_MS = 10_000
READER_MMAP_BYTES = 256 * 2**20


def _functions(conn: sqlite3.Connection) -> None:
    """SQL functions every connection has: ``reaged_priority`` is core.priority.reaged,
    so the queue is ordered in SQL by the one priority rule."""
    conn.create_function("reaged_priority", 7, reaged, deterministic=True)


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Switch a connection to WAL, waiting for processes that open a new file at once.

    Changing the journal mode of a new file needs an exclusive lock for which SQLite
    does not call its busy handler: four processes starting together made one fail
    with "database is locked" about once in fifteen tries. Retry for the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Store:
    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        """``readonly``: the file must exist and every write fails (reports, analysts)."""
        self.path = Path(path)
        try:
            if readonly:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False, isolation_level=None,
                                       timeout=BUSY_TIMEOUT_MS / 1000)
                conn.execute("SELECT count(*) FROM sqlite_master")  # fails now, not later
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                )
                _enter_wal(conn)
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        _functions(conn)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._local = threading.local()  # per thread: reader connection, in-transaction flag
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()  # never the write lock: reads must not wait

    @contextmanager
    def atomic(self) -> Iterator[sqlite_utils.Database]:
        """One unit of work: all of it is committed, or none of it.

        The outermost block takes the write lock up front (BEGIN IMMEDIATE) so a
        transaction never fails half-way to upgrade from reader to writer.
        """
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"database {self.path} is busy: {exc}") from exc
            self._local.writing = True
            try:
                yield self.db
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._local.writing = False
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite_utils.Database]:
        """Consistent reads, serialised with this process's writes."""
        with self._lock:
            yield self.db

    def _reader(self) -> sqlite3.Connection:
        """This thread's read-only connection (opened on first use)."""
        conn = getattr(self._local, "reader", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
                conn.execute("PRAGMA query_only=ON")
                # Pages straight from the OS cache: another connection's commit empties
                # this one's page cache, and the queue reads the whole attention set.
                conn.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read database {self.path}: {exc}") from exc
            conn.row_factory = sqlite3.Row
            _functions(conn)
            self._local.reader = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows as dicts. Inside this thread's ``atomic`` block it reads that
        transaction's own writes; elsewhere it reads committed data without locking."""
        if getattr(self._local, "writing", False):
            with self.reading() as db:
                return list(db.query(sql, params))
        return [dict(row) for row in self._reader().execute(sql, params).fetchall()]

    def data_version(self) -> int:
        """A number that changes whenever anyone (this process or another) commits to
        the file: a cheap key for caching read results. A connection of its own, so
        every other connection's commits count."""
        with self._readers_lock:
            conn = getattr(self, "_watch", None)
            if conn is None:
                conn = self._watch = sqlite3.connect(self.path, check_same_thread=False)
                self._readers.append(conn)
            return conn.execute("PRAGMA data_version").fetchone()[0]

    def journal_mode(self) -> str:
        return self.query("PRAGMA journal_mode")[0]["journal_mode"]

    def close(self) -> None:
        with self._lock, self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
            self.db.close()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """A query row with its JSON columns (engagement, scores, factors, triage's rules; a
    draft's notes and options, a mention's flags) as Python values."""
    for key in ("engagement", "scores", "factors", "rules"):
        if isinstance(row.get(key), str):
            row[key] = loads(row[key]) or {}
    for key in ("notes", "draft_notes", "options", "flags"):
        if isinstance(row.get(key), str):
            row[key] = loads(row[key]) or []
    return row
