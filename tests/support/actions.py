"""A desk with triaged mentions and pending drafts, as the pipeline leaves them, for
the agent-action tests of every interface."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from config.settings import BrandSettings, Settings
from core.clock import ManualClock
from core.mention import Author, Mention
from listener.replay.settings import ReplaySourceSettings
from store import drafts, mentions
from store.db import Store

SOURCE = "replay"
_ids = itertools.count(1)

# Texts no interface may save or approve, each with the phrase its refusal must name.
BAD_REPLIES = [
    ("Hi @casey, please reply with your password and card number here", "password"),
    ("Hi @casey, post your full card number so we can check", "card number"),
    ("Hi @casey, tell us your home address and phone number below", "address"),
    ("x" * 5000, "5000 characters"),
    ("日本" * 71, "284 characters"),  # 142 wide characters weigh 284 on X
    ("   ", "empty"),
]


def desk_settings(tmp_path, **pipeline: float) -> Settings:
    return Settings(
        brands=[BrandSettings(name="Acme", handles=["acme"])],
        sources=[ReplaySourceSettings(platform="replay", name=SOURCE, brand="Acme",
                                      path=tmp_path / "in.jsonl")],
        pipeline=pipeline or {},
    )


def seed_mention(store: Store, clock: ManualClock, text: str, *, handle: str = "casey",
                 name: str = "", topic: str = "delivery", label: str = "negative",
                 conversation: str = "", brand: str = "Acme", needs: bool = True,
                 reason: str = "complaint", lang: str = "en", minutes_ago: float = 5,
                 in_reply_to: str = "", priority: float = 0.5, followers: int = 100,
                 waiting: float = 0.0, role: str = "original", optional: bool = False,
                 unsure: bool = False, rules: dict[str, list[str]] | None = None) -> int:
    """One triaged mention (needing a reply unless ``needs`` is False); its id.
    ``waiting`` is the waiting factor triage saw (the inbox re-ages it when read);
    ``optional`` marks praise offered a thank-you; ``unsure`` one queued on low
    confidence (triage's unsure band); ``rules`` the triage rules that fired."""
    pid = f"a{next(_ids)}"
    mention = Mention(platform="replay", platform_id=pid, text=text, lang=lang,
                      author=Author(f"u-{handle}", handle, name or handle.title(), followers),
                      created_at=clock.now() - timedelta(minutes=minutes_ago),
                      url=f"https://x.example/{handle}/status/{pid}",
                      conversation_id=conversation or pid, in_reply_to_id=in_reply_to)
    mentions.save_poll(store, SOURCE, brand, [mention], {}, clock.now())
    mention_id = store.query("SELECT id FROM mentions WHERE platform_id = ?", [pid])[0]["id"]
    mentions.save_triage(store, [mentions.TriageRecord(
        mention_id=mention_id, label=label, scores={label: 0.8}, complaint=label == "negative",
        needs_reply=needs, optional=optional,
        reason=(reason + (" (unsure)" if unsure else "")) if needs else "praise", topic=topic,
        priority=priority,
        factors={"negativity": 0.8, "reach": 0.2, "urgency": 0.0, "waiting": waiting,
                 **({"unsure": 0.5} if unsure else {})},
        model_name="test", model_version="1", role=role, rules=rules or {})], clock.now())
    return mention_id


def seed(store: Store, clock: ManualClock, text: str, draft: str, **mention: Any
         ) -> tuple[int, int]:
    """One triaged mention needing a reply, with a pending draft; (mention, draft) ids."""
    mention_id = seed_mention(store, clock, text, **mention)
    draft_id = drafts.create(store, mention_id, draft, clock.now())
    assert draft_id is not None
    return mention_id, draft_id


def draft_row(store: Store, draft_id: int) -> dict:
    return store.query("SELECT * FROM drafts WHERE id = ?", [draft_id])[0]
