"""Pure rules deciding whether a post is a mention of a brand."""

from __future__ import annotations

from core.terms import matcher, mentions_term, normalise

__all__ = ["addresses_brand", "is_own_post", "matches_brand", "mentions_term", "normalise"]


def matches_brand(
    text: str, handles: list[str], keywords: list[str], exclusions: list[str]
) -> bool:
    """True when the text names the brand by handle or keyword and hits no exclusion."""
    seen = normalise(text)
    if exclusions and matcher(tuple(exclusions)).any(seen):
        return False
    terms = tuple(f"@{h.lstrip('@')}" for h in handles) + tuple(keywords)
    return matcher(terms).any(seen)


def addresses_brand(text: str, handles: list[str]) -> bool:
    """True when the post @mentions one of the brand's own accounts."""
    return matcher(tuple(f"@{h.lstrip('@')}" for h in handles)).any(normalise(text))


def is_own_post(author_handle: str, handles: list[str]) -> bool:
    own = {h.lstrip("@").lower() for h in handles}
    return author_handle.lstrip("@").lower() in own
