"""The values a reply carries between the pipeline, the store and a platform's publisher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReplyRequest:
    """An approved reply, exactly as the agent approved it."""

    draft_id: int
    platform: str
    in_reply_to_id: str  # the mention's platform id
    conversation_id: str
    text: str
    # An earlier attempt of ours went out unconfirmed (the draft was left in "posting"):
    # a duplicate-content refusal then most likely means that attempt was posted.
    attempted: bool = False
    # False where the platform refuses API replies to this post (X: the author did not
    # summon the brand): the publisher hands the agent a manual reply link at once.
    api_replyable: bool = True


@dataclass(frozen=True)
class Posted:
    platform_id: str
    posted_at: datetime
    url: str = ""
