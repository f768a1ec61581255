"""Opening the SQLite file and running units of work.

One file in WAL mode. Within a process every access goes through one lock (one
writer, and no reader sees another thread's half-done transaction); across
processes (`main.py review` beside the daemon) SQLite's busy timeout queues writers.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from core.errors import StoreError

BUSY_TIMEOUT_MS = 10_000


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
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()

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
            try:
                yield self.db
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite_utils.Database]:
        """Consistent reads, serialised with this process's writes."""
        with self._lock:
            yield self.db

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self.reading() as db:
            return list(db.query(sql, params))

    def journal_mode(self) -> str:
        return self.query("PRAGMA journal_mode")[0]["journal_mode"]

    def close(self) -> None:
        with self._lock:
            self.db.close()


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def decode(row: dict[str, Any]) -> dict[str, Any]:
    """A query row with its JSON columns (engagement, scores, factors) as Python values."""
    for key in ("engagement", "scores", "factors"):
        if isinstance(row.get(key), str):
            row[key] = loads(row[key]) or {}
    return row
