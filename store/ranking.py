"""The queue's order at read time: triage's stored priority re-aged for now by
core.priority.reaged (registered in SQL as ``reaged_priority``, store.db), the same for
the web inbox, the terminal review and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import priority
from core.clock import from_iso, to_iso


def by_priority(live: str = "live_priority", alias: str = "q") -> str:
    """ORDER BY terms of "priority now": higher live priority to two places (so
    near-ties go to the longest waiting), then the oldest. Every queue and every sort of
    the inbox's list breaks its ties with these."""
    return f"round({live}, 2) DESC, {alias}.created_at"


@dataclass(frozen=True)
class Ranking:
    """What priority's waiting factor needs at read time (triage stores the rest)."""

    now: datetime
    sla_minutes: int
    waiting_weight: float  # the waiting factor's share of the priority (0..1)

    def sql(self, alias: str = "q") -> tuple[str, list[Any]]:
        """The live priority of a row with triage's ``priority``, ``factors``,
        ``needs_reply`` and the mention's ``created_at`` (columns of ``alias``)."""
        return (
            f"reaged_priority({alias}.priority, json_extract({alias}.factors, '$.waiting'),"
            f" coalesce(json_extract({alias}.factors, '$.role'), 1.0)"
            f" * coalesce(json_extract({alias}.factors, '$.unsure'), 1.0), {alias}.needs_reply,"
            f" (julianday(?) - julianday({alias}.created_at)) * 1440.0, ?, ?)",
            [to_iso(self.now), self.sla_minutes, self.waiting_weight])

    def order(self, alias: str = "q") -> tuple[str, list[Any]]:
        """ORDER BY terms every queue shares: needed before optional thank-yous, higher
        live priority (to two places, so near-ties go to the longest waiting), oldest."""
        live, params = self.sql(alias)
        return f"{alias}.optional, {by_priority(live, alias)}, {alias}.draft_id", params

    def applied(self, row: dict[str, Any]) -> dict[str, Any]:
        """A decoded queue row with its ``live_priority`` as ``priority`` (triage's kept
        as ``model_priority``) and its waiting factor for now."""
        row["model_priority"] = row["priority"]
        row["priority"] = round(row.pop("live_priority", row["priority"]), 4)
        row["skipped"] = bool(row.get("skipped"))
        row["factors"] = {**(row["factors"] or {}), "waiting": self.waiting(row["created_at"])}
        return row

    def waiting(self, created_at: str) -> float:
        minutes = (self.now - from_iso(created_at)).total_seconds() / 60
        return priority.waiting(minutes, self.sla_minutes)
