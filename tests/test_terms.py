"""One-pass term matching agrees with matching each term on its own."""

from __future__ import annotations

import pytest

from core.terms import TermMatcher, mentions_term, normalise

TERMS = ["refund", "refund me", "@lumora", "Lumora", "not working", "working", "can't",
         "返金", "help"]
TEXTS = [
    "please REFUND me now", "x@lumora hi", "@lumora is not working", "Lumoraの電球",
    "lumorafan club", "Lu\u200bmora app", "I can't log in", "refunds are slow",
    "返金してください", "helpful people", "", "#Lumora rocks",
]


@pytest.mark.parametrize("text", TEXTS)
def test_one_pass_finds_exactly_the_terms_found_one_by_one(text):
    expected = [t for t in TERMS if mentions_term(text, t)]
    assert TermMatcher(TERMS).find(normalise(text)) == expected


def test_overlapping_terms_and_word_boundaries():
    matcher = TermMatcher(TERMS)
    assert matcher.find(normalise("please REFUND me now")) == ["refund", "refund me"]
    assert matcher.find(normalise("lumorafan")) == []
    assert matcher.find(normalise("Lu\u200bmora")) == ["Lumora"]  # zero-width space
    assert matcher.any(normalise("Lumoraの")) and not TermMatcher([]).any("anything")
