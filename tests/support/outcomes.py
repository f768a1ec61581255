"""Answered conversations for the outcome tests: our reply posted, the customer's answer."""

from __future__ import annotations

from typing import Any

from core.clock import ManualClock
from core.reply import Posted
from store import drafts, publishing
from store.db import Store
from tests.support.actions import seed, seed_mention

AGENT = "alice"


def post_reply(store: Store, clock: ManualClock, text: str = "my order never arrived",
               reply: str = "Sorry! Please try again.", handle: str = "casey",
               agent: str = AGENT, **mention: Any) -> tuple[int, int, str]:
    """A mention with our reply approved by ``agent`` and posted now; (mention, draft,
    posted id)."""
    mention_id, draft_id = seed(store, clock, text, reply, handle=handle, **mention)
    drafts.approve(store, draft_id, agent, 1, clock.now())
    publishing.mark_posting(store, draft_id, clock.now())
    posted_id = f"r{draft_id}"
    publishing.mark_posted(store, draft_id, Posted(posted_id, clock.now()), clock.now())
    return mention_id, draft_id, posted_id


def answer_reply(store: Store, clock: ManualClock, posted_id: str, conversation: str,
                 text: str, handle: str = "casey", needs: bool = True) -> int:
    """The customer's answer to our posted reply, ten minutes later; its mention id."""
    clock.advance(minutes=10)
    return seed_mention(store, clock, text, handle=handle, conversation=conversation,
                        in_reply_to=posted_id, minutes_ago=1, needs=needs)


def conversation_keys(store: Store, mention_id: int) -> tuple[str, str]:
    """The mention's conversation id, and the outcome key ("platform:conversation")."""
    row = store.query("SELECT conversation_id, platform FROM mentions WHERE id = ?",
                      [mention_id])[0]
    return row["conversation_id"], f"{row['platform']}:{row['conversation_id']}"
