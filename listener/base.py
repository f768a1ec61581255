"""What every platform provides: a mention source, a reply publisher, and a ``Platform``
description that the registry (``listener.platforms``) lists."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from config.base import SourceBase
from config.secrets import register as register_secrets
from core.errors import MalformedResponse, MentiondeskError
from core.mention import Mention
from core.reply import Posted, ReplyRequest

if TYPE_CHECKING:
    from config.settings import Settings
    from core.clock import Clock


@dataclass(frozen=True)
class Poll:
    """What one poll returned.

    The caller stores ``mentions`` and ``cursor`` in one transaction, so a crash
    part-way through a poll moves nothing and the next poll fetches the same items.
    """

    mentions: list[Mention]
    cursor: dict[str, Any]
    requests: int = 0  # API calls made, for rate budgets and benchmarks
    notes: list[str] = field(default_factory=list)  # worth a log line (e.g. partial errors)
    # A rate limit stopped the poll part-way: store what it read, then wait until this.
    retry_at: datetime | None = None


S = TypeVar("S")


def payload_errors(poll: Callable[[S, dict[str, Any] | None], Poll]
                   ) -> Callable[[S, dict[str, Any] | None], Poll]:
    """For a source's ``poll``: whatever a platform answers, only our errors come out.

    A payload the adapter did not foresee (a missing field, a wrong type) fails inside
    the adapter as KeyError, TypeError and the like; here it becomes MalformedResponse,
    so the daemon records it and moves on instead of crashing the job.
    """

    @functools.wraps(poll)
    def guarded(self: S, cursor: dict[str, Any] | None) -> Poll:
        try:
            return poll(self, cursor)
        except MentiondeskError:
            raise
        except Exception as exc:
            logging.getLogger(poll.__module__).debug("unreadable payload", exc_info=True)
            raise MalformedResponse(
                f"unreadable answer ({type(exc).__name__}: {str(exc)[:200]})") from exc

    return guarded


class MentionSource(Protocol):
    name: str  # the source's name in config, also the cursor's key
    platform: str

    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        """Fetch what is new since ``cursor`` (None on the first poll).

        Raises only ``core.errors.SourceError`` subclasses.
        """
        ...


class Publisher(Protocol):
    platform: str

    def publish(self, reply: ReplyRequest) -> Posted:
        """Post the reply. Raises ``PublishRefused`` (for good) or ``PublishError``."""
        ...

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Our reply if it is already on the platform: the check before a retry
        of a draft that a crash left in ``posting``."""
        ...

    def gone(self, platform_ids: list[str]) -> set[str]:
        """Which of these posts the platform reports deleted (at most 100 ids).

        Raises ``PublishError`` when it cannot tell: unknown is never "gone".
        """
        ...


@dataclass(frozen=True)
class Platform:
    """One network as the rest of mentiondesk sees it.

    ``source`` and ``publisher`` build the adapters from a source's settings; they
    import the vendor SDK lazily, so reading the registry (which registers the settings
    models with ``config.settings``) costs no SDK import.
    """

    name: str  # the ``platform`` value in config and in every Mention
    settings: type[SourceBase]  # the source settings model; its ``platform`` literal is ``name``
    source: Callable[[Any, Settings, Clock], MentionSource]
    publisher: Callable[[Any, Settings, Clock], Publisher]
    reply_length: Callable[[str], int]  # a reply's length as the platform counts it
    reply_limit: int  # the platform's own limit for a reply
    address: Callable[[str], str]  # how a reply names its author: "@ann", "u/ann"
    # How the publisher tells, after an unclear answer, whether a reply went out: a
    # lookup that sees new posts at once (docs/platforms.md lists them).
    confirms: str
    secrets: dict[str, str] = field(default_factory=dict)  # env variable -> what it is for

    def __post_init__(self) -> None:
        # A network's secrets are documented secrets as soon as the network is described,
        # whichever of its modules is imported first (config imports no network).
        register_secrets(self.secrets)

    def limit(self, settings: Settings) -> int:
        """The longest reply on this network: the operator's ``responder.length_limits``
        override if any, never above the network's own limit."""
        return min(settings.responder.length_limits.get(self.name, self.reply_limit),
                   self.reply_limit)
