"""The interface every reply publisher implements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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


class Publisher(Protocol):
    platform: str

    def publish(self, reply: ReplyRequest) -> Posted:
        """Post the reply. Raises ``PublishRefused`` (for good) or ``PublishError``."""
        ...

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Our reply if it is already on the platform: the check before a retry
        of a draft that a crash left in ``posting``."""
        ...
