"""Agents' corrections as training examples for ``main.py model adapt``.

An agent's one-click correction of needs_reply is the desk's own label on its own
traffic: the text the model misjudged and the answer it should have given.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.db import Store


@dataclass(frozen=True)
class Correction:
    mention_id: int
    text: str
    value: int  # the corrected answer, 0 or 1


def needs_reply_corrections(store: Store) -> list[Correction]:
    """The latest needs_reply correction of every corrected mention, oldest mention first."""
    rows = store.query(
        "SELECT c.mention_id, m.text, c.value FROM label_corrections c"
        " JOIN mentions m ON m.id = c.mention_id"
        " WHERE c.field = 'needs_reply' AND c.id = (SELECT max(id) FROM label_corrections"
        " WHERE mention_id = c.mention_id AND field = 'needs_reply')"
        " ORDER BY c.mention_id")
    return [Correction(r["mention_id"], r["text"], int(str(r["value"]).strip().lower()
                                                       in ("1", "true", "yes")))
            for r in rows]  # fmt: skip
