"""Fast term matching: normalise a text once, find all of a term list in one regex pass.

Brand matching and triage check about a hundred keywords per text. Normalising the
text once per keyword and compiling one pattern per keyword cost more than the model
itself; a ``TermMatcher`` compiles its whole list into one alternation and reports
every term found in a single scan of the already-normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Word boundaries for Latin script only: "Lumoraの" (Japanese has no spaces) still
# names the brand, "lumorafan" does not. A leading @ or # belongs to the term.
_WORD = r"[A-Za-z0-9_\u00C0-\u024F]"
_FORMAT_CHARS = re.compile(r"[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064"
                           r"\u2066-\u206F\uFEFF\U000E0001-\U000E007F]")


def normalise(text: str) -> str:
    """Text as matching should see it: compatibility forms folded and invisible format
    characters (zero-width spaces, bidi controls) removed, so "Lu\u200bmora" is found."""
    folded = unicodedata.normalize("NFKC", text)
    if folded.isascii():
        return folded
    folded = _FORMAT_CHARS.sub("", folded)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


class TermMatcher:
    """All of a list of terms, case-insensitive, matched in one pass.

    Overlapping terms ("refund", "refund me") are all reported: each term is a
    lookahead alternative, so the scan finds every term starting at each position.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = tuple(dict.fromkeys(t for t in terms if t.strip()))
        self._by_key = {t.casefold(): t for t in self.terms}
        if not self.terms:
            self._pattern = None
            return
        # Longest first so that a group captures the longest term at a position;
        # shorter terms at the same position are then checked one by one (rare).
        ordered = sorted(self.terms, key=len, reverse=True)
        body = "|".join(re.escape(t) for t in ordered)
        self._pattern = re.compile(rf"(?<!{_WORD})(?=({body})(?!{_WORD}))", re.IGNORECASE)
        self._single = {t.casefold(): _single(t) for t in ordered}

    def find(self, normalised: str) -> list[str]:
        """The terms present in an already-``normalise``d text, in list order."""
        if self._pattern is None:
            return []
        found: set[str] = set()
        for match in self._pattern.finditer(normalised):
            key = match.group(1).casefold()
            found.add(key)
        if found and len(self.terms) > 1:
            # A shorter term that only occurs inside a longer match at the same start
            # ("refund" within "refund me") is not reported by the scan above.
            for key, pattern in self._single.items():
                if key not in found and any(key in f for f in found) and pattern.search(
                    normalised
                ):
                    found.add(key)
        return [t for t in self.terms if t.casefold() in found]

    def any(self, normalised: str) -> bool:
        return self._pattern is not None and self._pattern.search(normalised) is not None


@lru_cache(maxsize=4096)
def _single(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!{_WORD}){re.escape(term)}(?!{_WORD})", re.IGNORECASE)


@lru_cache(maxsize=256)
def matcher(terms: tuple[str, ...]) -> TermMatcher:
    """A cached matcher for a (hashable) term list: settings lists are compiled once."""
    return TermMatcher(terms)


def mentions_term(text: str, term: str) -> bool:
    """One term in a raw text (normalises it; prefer a ``TermMatcher`` for many terms)."""
    return bool(_single(term).search(normalise(text)))


# --- a brand in a text: the listeners' filter and triage's "addressed" share these ---

def matches_brand(
    text: str, handles: Iterable[str], keywords: Iterable[str], exclusions: Iterable[str] = (),
    also: Iterable[str] = (),
) -> bool:
    """True when the text names the brand by handle, keyword (or one of ``also``: more
    ways a platform addresses it, "u/handle") and hits no exclusion. The listeners keep a
    post with it; triage calls a mention "addressed" with it (sentiment.batch)."""
    seen = normalise(text)
    exclusions = tuple(exclusions)
    if exclusions and matcher(exclusions).any(seen):
        return False
    terms = (tuple(f"@{h.lstrip('@')}" for h in handles) + tuple(keywords)
             + tuple(t for t in also if t))
    return matcher(terms).any(seen)


def addresses_brand(text: str, handles: Iterable[str]) -> bool:
    """True when the post @mentions one of the brand's own accounts."""
    return matcher(tuple(f"@{h.lstrip('@')}" for h in handles)).any(normalise(text))


def is_own_post(author_handle: str, handles: Iterable[str]) -> bool:
    own = {h.lstrip("@").lower() for h in handles}
    return author_handle.lstrip("@").lower() in own
