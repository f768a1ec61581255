"""Reply length as X counts it.

X counts with the twitter-text v3 rules: code points in a few Latin/punctuation
ranges weigh 1, everything else (CJK, emoji, most other scripts) weighs 2, each URL
weighs 23 whatever its length, and the text is NFC-normalised first.
"""

from __future__ import annotations

import re
import unicodedata

X_LIMIT = 280
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_URL_WEIGHT = 23
# (first, last) code points that weigh 1 on X; all others weigh 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(lo <= code <= hi for lo, hi in _LIGHT_RANGES) else 2


def x_length(text: str) -> int:
    """The length X assigns to ``text`` (limit ``X_LIMIT``)."""
    text = unicodedata.normalize("NFC", text)
    total, last = 0, 0
    for match in _URL.finditer(text):
        total += sum(_weight(c) for c in text[last : match.start()]) + _URL_WEIGHT
        last = match.end()
    return total + sum(_weight(c) for c in text[last:])
