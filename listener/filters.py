"""Pure rules deciding whether a post is a mention of a brand."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=256)
def _term_pattern(term: str) -> re.Pattern[str]:
    # Word boundaries for Latin script only: "Lumoraの" (Japanese has no spaces) still
    # names the brand, "lumorafan" does not. A leading @ or # is allowed.
    word = r"[A-Za-z0-9_\u00C0-\u024F]"
    return re.compile(rf"(?<!{word}){re.escape(term)}(?!{word})", re.IGNORECASE)


def normalise(text: str) -> str:
    """Text as matching should see it: compatibility forms folded and invisible format
    characters (zero-width spaces, bidi controls) removed, so "Lu\u200bmora" is found."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def mentions_term(text: str, term: str) -> bool:
    return bool(_term_pattern(term).search(normalise(text)))


def matches_brand(
    text: str, handles: list[str], keywords: list[str], exclusions: list[str]
) -> bool:
    """True when the text names the brand by handle or keyword and hits no exclusion."""
    if any(mentions_term(text, phrase) for phrase in exclusions):
        return False
    terms = [f"@{h.lstrip('@')}" for h in handles] + list(keywords)
    return any(mentions_term(text, term) for term in terms)


def addresses_brand(text: str, handles: list[str]) -> bool:
    """True when the post @mentions one of the brand's own accounts."""
    return any(mentions_term(text, f"@{h.lstrip('@')}") for h in handles)


def is_own_post(author_handle: str, handles: list[str]) -> bool:
    own = {h.lstrip("@").lower() for h in handles}
    return author_handle.lstrip("@").lower() in own
