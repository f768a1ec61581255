"""What a public reply must never do: ask for private data in public."""

from __future__ import annotations

import re

_PRIVATE_ASKS = re.compile(
    r"\b(send|share|post|tell|give|reply with|provide)\b[^.!?]{0,40}\b("
    r"password|passcode|pin|card number|credit card|cvv|social security|ssn|"
    r"home address|full address|phone number|date of birth|bank)\b",
    re.IGNORECASE,
)
_DM = re.compile(r"\b(DM|direct message|private message|PM)\b", re.IGNORECASE)


def violations(text: str) -> list[str]:
    """Problems with a reply text; empty when it may be posted in public."""
    problems = []
    for match in _PRIVATE_ASKS.finditer(text):
        if not _DM.search(text[max(0, match.start() - 40) : match.end() + 40]):
            problems.append(f"asks for {match.group(2).lower()} in public: move that to a DM")
    return problems
