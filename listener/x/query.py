"""The X recent-search query for a brand, built from its settings.

Pure: the same settings give the same query, so a test can pin it and an operator
can read it in the log. X limits a query's length (512 characters on self-serve
plans), so the length is checked here, before any request, with an error naming
the setting to change.
"""

from __future__ import annotations

import re

from config.settings import BrandSettings
from core.errors import ConfigError

_BARE = re.compile(r"^[#$]?[\w]+$")


def _keyword(word: str) -> str:
    """A keyword as X reads it: single words bare, anything else as an exact phrase."""
    word = word.strip().replace('"', "")
    return word if _BARE.match(word) else f'"{word}"'


def _any(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def build_query(
    brand: BrandSettings,
    *,
    languages: list[str] | None = None,
    override: str | None = None,
    max_length: int = 512,
    key: str = "sources.query",
) -> str:
    """The search query for ``brand``; ``override`` replaces the built one verbatim.

    Handles become ``@handle``, keywords are quoted when not a single word,
    exclusions are negated, retweets are left out (``-is:retweet``) and
    ``languages`` (default: the brand's) become ``lang:`` terms.
    Raises ``ConfigError`` (naming ``key``) when the query is longer than allowed.
    """
    if override and override.strip():
        query = override.strip()
    else:
        terms = [f"@{h.strip().lstrip('@')}" for h in brand.handles if h.strip()]
        terms += [_keyword(k) for k in brand.keywords if k.strip()]
        parts = [_any(list(dict.fromkeys(terms)))]
        parts += [f"-{_keyword(x)}" for x in brand.exclusions if x.strip()]
        parts.append("-is:retweet")
        langs = [lang.strip().lower() for lang in (languages or brand.languages) if lang.strip()]
        if langs:
            parts.append(_any([f"lang:{lang}" for lang in dict.fromkeys(langs)]))
        query = " ".join(parts)
    if len(query) > max_length:
        raise ConfigError(
            "config", key,
            f"the X search query is {len(query)} characters, the API allows {max_length} "
            f"(query_max_length): use fewer keywords or exclusions, or set a shorter "
            f"query: {query[:80]}...",
        )
    return query
