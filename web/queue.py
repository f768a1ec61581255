"""The queue as agents see it: items with SLA time left, confidence and context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.settings import Settings
from core.clock import from_iso
from listener.platforms import platform_length, reply_limit
from pipeline.actions import draft_problems
from store import drafts, inbox, mentions
from store import outcomes as outcome_store
from store.db import Store

FILTERS = (*inbox.FACETS, inbox.SEARCH, inbox.SCOPE, *inbox.NARROW)
SORTS = tuple(inbox.SORTS)  # the list's columns an agent can sort by


def duration(seconds: float) -> str:
    """Compact human duration: 45s, 12m, 3h 05m, 2d 4h."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def sla_state(created_at: str, now: datetime, sla_minutes: int) -> dict[str, Any]:
    waited = (now - from_iso(created_at)).total_seconds()
    left = sla_minutes * 60 - waited
    if left < 0:
        level, text = "over", f"overdue by {duration(left)}"
    else:
        level = "warn" if left < sla_minutes * 60 * 0.25 else "ok"
        text = f"{duration(left)} left"
    return {"waited": duration(waited), "left_s": left, "level": level, "text": text,
            "sla": duration(sla_minutes * 60)}


def build_items(store: Store, settings: Settings, now: datetime,
                rows: list[dict[str, Any]], customers: tuple[int, ...] | None = None,
                ) -> list[dict[str, Any]]:
    """Queue rows (store.inbox.queue, already in order) enriched for display. The
    customer panel is read for the drafts in ``customers`` (None: all); the others'
    panels are fetched when opened, which keeps a page of 50 light."""
    ids = [r["mention_id"] for r in rows]
    notes, fixed = inbox.notes(store, ids), inbox.corrections(store, ids)
    judged = outcome_store.for_mentions(store, ids)
    for row in rows:
        limit = reply_limit(settings, row["platform"])
        scores = row["scores"] or {}
        row.update(
            sla=sla_state(row["created_at"], now, settings.sla.first_response_minutes),
            confidence=round(100 * float(scores.get(row["label"], 0.0))),
            limit=limit,
            length=platform_length(row["draft_text"], row["platform"]),
            problems=draft_problems(settings, row),
            factors_sorted=sorted((row["factors"] or {}).items(), key=lambda kv: -kv[1]),
            # Queued on low confidence (triage's unsure band): may need no reply.
            unsure="unsure" in (row["factors"] or {}),
            thread=mentions.thread(store, row["mention_id"]),
            earlier=inbox.replies_to_author(store, row["mention_id"]),
            customer=(inbox.customer(store, row["mention_id"])
                      if customers is None or row["draft_id"] in customers else None),
            # The article as the draft stands: an edit that dropped the link says so; a
            # link the first draft never carried (cut to fit) is no warning.
            article=drafts.article_state(row),
            notes=notes.get(row["mention_id"], []),
            corrected=fixed.get(row["mention_id"], {}),
            outcome=judged.get(row["mention_id"]),
        )
    return rows
