"""Counts in words for the terminal: "1 source", "2 sources", "1 reply", "3 replies".

One helper for every command's output, so no message reads "1 sources" and no module
grows its own ``"s" if n != 1`` (pure; English only, as the terminal is).

    counted(1, "row")                  -> "1 row"
    counted(3, "approved reply")       -> "3 approved replies"
    counted(2, "person", "people")     -> "2 people"
"""

from __future__ import annotations

_VOWELS = frozenset("aeiou")


def plural(noun: str) -> str:
    """The regular English plural of ``noun``'s last word: a consonant then "y" takes
    "ies" (reply, replies), a sibilant takes "es" (box, boxes), the rest "s"."""
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in _VOWELS:
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def counted(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and ``noun``, plural unless ``n`` is exactly one; ``many`` for an
    irregular plural. Thousands get separators, as the report's counts do."""
    return f"{n:,} {noun if n == 1 else many or plural(noun)}"
