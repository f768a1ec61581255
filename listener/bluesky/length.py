"""Reply length as Bluesky counts it.

A post's ``text`` may hold at most 300 graphemes (user-perceived characters: "👨‍👩‍👧" is
one, "é" written as e + a combining accent is one) and at most 3,000 bytes of UTF-8.
One number covers both: the larger of the grapheme count and a tenth of the byte count,
so a limit of 300 means exactly "both rules hold".
"""

from __future__ import annotations

import regex

BLUESKY_LIMIT = 300
MAX_BYTES = 3000
_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """Extended grapheme clusters (Unicode UAX #29), as Bluesky's servers count them."""
    return len(_GRAPHEME.findall(text))


def bluesky_length(text: str) -> int:
    """The length that must stay within ``BLUESKY_LIMIT`` for Bluesky to accept ``text``."""
    size = len(text.encode("utf-8"))
    return max(graphemes(text), -(-size * BLUESKY_LIMIT // MAX_BYTES))
