"""Which language a mention is written in (stored per mention; triage and the inbox use it).

py3langid (a small, maintained port of langid.py that ships its own model, no network)
restricted to the languages people commonly write to brands in: on short tweets an
open set guesses exotic languages for plain English. Handles, hashtags and links are
removed first; a text with too few letters left, or a low-confidence guess, keeps the
platform's own tag (X sends one), else ``""`` (unknown).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from core.terms import normalise

LANGUAGES = (
    "en", "es", "pt", "fr", "de", "it", "nl", "ja", "ko", "zh", "ar", "ru", "tr", "pl",
    "sv", "da", "no", "fi", "id", "hi", "th", "vi", "he", "el", "uk", "cs",
)  # fmt: skip
MIN_LETTERS = 8
MIN_CONFIDENCE = 0.6
_NOISE = re.compile(r"(https?://\S+|www\.\S+|[@#][\w.]+)")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def warm() -> None:
    """Load the identifier now (its model is lzma-compressed: ~1-3 s on 2 cores), from a
    background thread at start-up, so the first triage batch does not pay for it."""
    _identifier()


def detect(text: str, platform_lang: str = "") -> str:
    """ISO 639-1 code of ``text``'s language, the platform's tag when unsure, or ``""``."""
    tagged = platform_lang.strip().lower()[:2] if platform_lang else ""
    cleaned = _NOISE.sub(" ", normalise(text))
    if sum(c.isalpha() for c in cleaned) < MIN_LETTERS:
        return tagged
    language, confidence = _identifier().classify(cleaned)
    if confidence < MIN_CONFIDENCE:
        return tagged
    return str(language)
