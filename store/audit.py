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
    store: Store, *, mention_id: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    where, params = ("WHERE mention_id = ?", [mention_id]) if mention_id else ("", [])
    return store.query(
        f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", [*params, limit]
    )
