"""The interface every mention source implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from core.mention import Mention


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


class MentionSource(Protocol):
    name: str  # the source's name in config, also the cursor's key
    platform: str

    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        """Fetch what is new since ``cursor`` (None on the first poll).

        Raises only ``core.errors.SourceError`` subclasses.
        """
        ...
