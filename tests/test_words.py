"""Counts in words (core/words.py): every terminal message that counts something reads
"1 source" and "2 sources", never "1 sources" (doctor, db, report said it that way)."""

from __future__ import annotations

import pytest

from core.words import counted, plural


@pytest.mark.parametrize(("n", "noun", "text"), [
    (1, "row", "1 row"), (0, "row", "0 rows"), (2, "row", "2 rows"),
    (1, "approved reply", "1 approved reply"), (3, "approved reply", "3 approved replies"),
    (2, "day", "2 days"), (2, "box", "2 boxes"), (2, "match", "2 matches"),
    (12345, "mention", "12,345 mentions"), (-1, "hour", "-1 hours"),
])
def test_counted_is_singular_for_exactly_one(n: int, noun: str, text: str) -> None:
    assert counted(n, noun) == text


def test_an_irregular_plural_is_given() -> None:
    assert counted(2, "person", "people") == "2 people"
    assert counted(1, "person", "people") == "1 person"


def test_plural_keeps_a_vowel_before_y() -> None:
    assert [plural(w) for w in ("key", "reply", "day", "source")] == [
        "keys", "replies", "days", "sources"]

