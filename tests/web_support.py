"""Filling a store as the pipeline leaves it, for the web inbox tests."""

from __future__ import annotations

import itertools
from datetime import timedelta

from core.clock import ManualClock
from core.mention import Author, Mention
from store import drafts, mentions
from store.db import Store

SOURCE = "replay"
_ids = itertools.count(1)


def seed(store: Store, clock: ManualClock, text: str, draft: str, *, handle: str = "casey",
         name: str = "Casey", label: str = "negative", priority: float = 0.5,
         topic: str = "delivery", minutes_ago: float = 20, conversation: str = "",
         followers: int = 4200, waiting: float = 0.3, brand: str = "Acme",
         ) -> tuple[int, int]:
    """A triaged mention with a pending draft; returns (mention id, draft id)."""
    pid = f"{next(_ids):05d}"
    mention = Mention(
        platform="replay", platform_id=pid, text=text,
        author=Author(f"u-{handle}", handle, name, followers),
        created_at=clock.now() - timedelta(minutes=minutes_ago),
        url=f"https://x.example/{handle}/status/{pid}", conversation_id=conversation)
    mentions.save_poll(store, SOURCE, brand, [mention], {}, clock.now())
    mention_id = store.query("SELECT id FROM mentions WHERE platform_id = ?", [pid])[0]["id"]
    scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
    mentions.save_triage(store, [mentions.TriageRecord(
        mention_id=mention_id, label=label, scores=scores, complaint=label == "negative",
        needs_reply=True, optional=False, reason="complaint addressed to the brand",
        topic=topic, priority=priority,
        factors={"negativity": 0.8, "reach": 0.2, "urgency": 0.0, "waiting": waiting},
        model_name="test", model_version="1")], clock.now())
    draft_id = drafts.create(store, mention_id, draft, clock.now())
    assert draft_id is not None
    return mention_id, draft_id
