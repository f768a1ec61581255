"""Filling a real store the way the pipeline does, for the metrics tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from core.mention import Author, Mention
from core.reply import Posted
from store import drafts, mentions, publishing
from store.db import Store

_ids = itertools.count(1)


def seed(store: Store, at: datetime, *, label: str | None = "negative", brand: str = "Lumora",
         platform: str = "x", topic: str = "delivery", lang: str = "en",
         needs_reply: bool = True, complaint: bool | None = None, handle: str = "",
         followers: int = 100, text: str = "", priority: float = 0.5) -> int:
    """A stored mention created at ``at``, triaged (unless ``label`` is None)."""
    n = next(_ids)
    handle = handle or f"user{n}"
    mention = Mention(platform=platform, platform_id=f"p{n}", text=text or f"mention {n}",
                      author=Author(f"u-{handle}", handle, handle.title(), followers),
                      created_at=at, lang=lang, url=f"https://x.example/{handle}/{n}")
    mentions.save_poll(store, f"src-{platform}", brand, [mention], {}, at)
    mention_id = store.query("SELECT id FROM mentions WHERE platform_id = ?", [f"p{n}"])[0]["id"]
    if label is not None:
        scores = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
        mentions.save_triage(store, [mentions.TriageRecord(
            mention_id=mention_id, label=label, scores=scores,
            complaint=label == "negative" if complaint is None else complaint,
            needs_reply=needs_reply, optional=False, reason="test", topic=topic,
            priority=priority, factors={"negativity": 0.5}, model_name="test",
            model_version="1")], at)
    return mention_id


def draft(store: Store, mention_id: int, at: datetime) -> int:
    draft_id = drafts.create(store, mention_id, "Hi, sorry about that. ^Mia", at)
    assert draft_id is not None
    return draft_id


def reply(store: Store, mention_id: int, drafted: datetime, approved: datetime,
          posted: datetime, *, edited: bool = False) -> int:
    """Draft, approve (after an edit if asked) and post a reply to the mention."""
    draft_id = draft(store, mention_id, drafted)
    text = "Hi, sorry! Please DM us. ^Mia" if edited else None
    drafts.approve(store, draft_id, "ann", 1, approved, text=text)
    publishing.mark_posting(store, draft_id, posted)
    publishing.mark_posted(store, draft_id, Posted(f"r{draft_id}", posted), posted)
    return draft_id


def at(base: datetime, minutes: float = 0, **kw: float) -> datetime:
    return base + timedelta(minutes=minutes, **kw)
