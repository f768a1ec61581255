"""What a public reply must never do: ask for private data in public."""

from __future__ import annotations

import re

_ASK = re.compile(
    r"\b(send|share|post|tell|give|reply with|provide|include|type|enter|confirm|what(?:'s| is))"
    r"\b([^.!?]{0,60})", re.IGNORECASE)
_PRIVATE = re.compile(
    r"\b(password|passcode|pin|card number|credit card|cvv|social security|ssn|"
    r"home address|full address|phone number|date of birth|bank)\b", re.IGNORECASE)
_DM = re.compile(r"\b(DM|direct message|private message|PM)\b", re.IGNORECASE)


def violations(text: str) -> list[str]:
    """Problems with a reply text; empty when it may be posted in public."""
    asked: list[str] = []
    for ask in _ASK.finditer(text):
        if _DM.search(text[max(0, ask.start() - 40) : ask.end() + 40]):
            continue
        for term in _PRIVATE.finditer(ask.group(2)):
            if term.group(1).lower() not in asked:
                asked.append(term.group(1).lower())
    if not asked:
        return []
    return [f"asks for {' and '.join(asked)} in public: move that to a DM"]


def reply_problems(text: str, length: int, limit: int, platform: str) -> list[str]:
    """Every reason ``text`` may not go out as a public reply, one short clause each;
    empty when it may. The platform's ``length`` of the text and its ``limit`` come in
    as data, so this module stays platform-neutral."""
    if not text.strip():
        return ["the reply is empty"]
    problems = violations(text)
    if length > limit:
        problems.append(f"it is {length} characters and {platform} allows {limit}")
    return problems
