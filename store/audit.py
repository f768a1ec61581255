"""The append-only audit log: who did what, when, with the text before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from core.clock import to_iso
from store.db import Store


def record(
    db: Database,
    at: datetime,
    actor: str,
    action: str,
    *,
    mention_id: int | None = None,
    draft_id: int | None = None,
    before: str = "",
    after: str = "",
    note: str = "",
) -> None:
    """Append one entry; call inside the transaction that made the change."""
    db.execute(
        "INSERT INTO audit (at, actor, action, mention_id, draft_id, before, after, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [to_iso(at), actor, action, mention_id, draft_id, before, after, note],
    )


def entries(
    store: Store, *, mention_id: int | None = None, actor: str = "", action: str = "",
    since: str = "", until: str = "", limit: int | None = 500,
) -> list[dict[str, Any]]:
    """Entries newest first, filtered by mention, agent, action and ``at`` range
    (ISO texts: ``since`` inclusive, ``until`` exclusive); ``limit=None`` for all."""
    clauses, params = [], []
    for sql, value in (("mention_id = ?", mention_id), ("actor = ?", actor),
                       ("action = ?", action), ("at >= ?", since), ("at < ?", until)):
        if value:
            clauses.append(sql)
            params.append(value)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    tail = " LIMIT ?" if limit is not None else ""
    return store.query(f"SELECT * FROM audit {where} ORDER BY id DESC{tail}",
                       [*params, *([limit] if limit is not None else [])])


def choices(store: Store) -> dict[str, list[str]]:
    """The agents and actions the log holds, for the audit page's filters."""
    return {key: [r["v"] for r in store.query(
        f"SELECT DISTINCT {key} AS v FROM audit ORDER BY {key}")] for key in ("actor", "action")}
