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


@dataclass(frozen=True)
class Posted:
    platform_id: str
    posted_at: datetime
    url: str = ""
