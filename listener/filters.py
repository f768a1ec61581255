"""Pure rules deciding whether a post is a mention of a brand: they live in core.terms,
where triage's "addressed" uses the same ``matches_brand``; the listeners import them here."""

from __future__ import annotations

from core.terms import addresses_brand, is_own_post, matches_brand, mentions_term, normalise

__all__ = ["addresses_brand", "is_own_post", "matches_brand", "mentions_term", "normalise"]
