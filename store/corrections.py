"""Agents' corrections and confirmations as training examples for ``main.py model adapt``.

An agent's one-click correction of needs_reply is the desk's own label on its own
traffic: the text the model misjudged and the answer it should have given. Corrections
are only the model's mistakes, though; a desk also says "yes, this needed a reply" every
time an agent approves a reply, for free. Those confirmations are the right answers
beside the mistakes: without them a refit on mistakes alone would learn that the
desk's traffic mostly needs no reply (most corrections are false alarms), and a
comparison on mistakes alone would find any change an improvement. And the model's
"no" that no agent contested (``uncontested``) stands for the quiet traffic, which
neither corrections nor confirmations reach: most of it rightly needs no reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import to_iso
from store.db import Store

CORRECTION = "correction"  # an agent's needs_reply correction
CONFIRMATION = "confirmation"  # an approved reply: it needed one
UNCONTESTED = "uncontested"  # triage said no reply, nobody said otherwise
LATEST = 3000  # confirmations and uncontested "no"s read: the most recent, quick to encode
# A "no" counts as uncontested once agents have had this long to see it: a mention
# triaged an hour ago may be a miss nobody has looked at yet.
SETTLED = timedelta(days=1)


@dataclass(frozen=True)
class Correction:
    mention_id: int
    text: str
    value: int  # the corrected answer, 0 or 1
    kind: str = CORRECTION


def needs_reply_corrections(store: Store) -> list[Correction]:
    """The latest needs_reply correction of every corrected mention, oldest mention first
    (redacted mentions left out: the platform reported the post gone, its text with it)."""
    rows = store.query(
        "SELECT c.mention_id, m.text, c.value FROM label_corrections c"
        " JOIN mentions m ON m.id = c.mention_id"
        " WHERE m.redacted_at IS NULL AND c.field = 'needs_reply'"
        " AND c.id = (SELECT max(id) FROM label_corrections"
        " WHERE mention_id = c.mention_id AND field = 'needs_reply')"
        " ORDER BY c.mention_id")
    return [Correction(r["mention_id"], r["text"], int(str(r["value"]).strip().lower()
                                                       in ("1", "true", "yes")))
            for r in rows]  # fmt: skip


def reply_confirmations(store: Store, limit: int = LATEST) -> list[Correction]:
    """The latest ``limit`` mentions an agent approved a reply to (approved, posting,
    posted, or refused or failed by the platform after the approval), oldest first, as
    needs_reply = 1.

    Left out: optional thank-yous (triage's ``optional``: praise the desk chose to
    thank needed no reply), mentions with a needs_reply correction (the agent's
    explicit answer wins, whatever was posted) and redacted mentions."""
    rows = store.query(
        "SELECT m.id AS mention_id, m.text FROM mentions m JOIN triage t ON t.mention_id = m.id"
        " WHERE m.redacted_at IS NULL AND t.optional = 0"
        " AND EXISTS (SELECT 1 FROM drafts d WHERE d.mention_id = m.id"
        " AND d.approved_by IS NOT NULL"
        " AND d.status IN ('approved', 'posting', 'posted', 'refused', 'failed'))"
        " AND NOT EXISTS (SELECT 1 FROM label_corrections c WHERE c.mention_id = m.id"
        " AND c.field = 'needs_reply')"
        " ORDER BY m.id DESC LIMIT ?", [limit])
    return [Correction(r["mention_id"], r["text"], 1, CONFIRMATION) for r in reversed(rows)]


def uncontested(store: Store, settled_before: datetime, limit: int = LATEST
                ) -> list[Correction]:
    """The latest ``limit`` mentions from before ``settled_before`` that triage said
    need no reply and nobody contradicted (no needs_reply correction, no approved reply
    other than a thank-you for praise, not redacted), as needs_reply = 0, oldest first.
    Most are right; the misses among them that nobody found count as "no" too, which
    costs a little recall but keeps the desk's labels a picture of all its traffic, not
    only of its queue."""
    rows = store.query(
        "SELECT m.id AS mention_id, m.text FROM mentions m JOIN triage t ON t.mention_id = m.id"
        " WHERE m.redacted_at IS NULL AND t.needs_reply = 0 AND m.text != ''"
        " AND m.created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM label_corrections c WHERE c.mention_id = m.id"
        " AND c.field = 'needs_reply')"
        " AND (t.optional = 1 OR NOT EXISTS (SELECT 1 FROM drafts d"
        " WHERE d.mention_id = m.id AND d.approved_by IS NOT NULL))"
        " ORDER BY m.id DESC LIMIT ?", [to_iso(settled_before), limit])
    return [Correction(r["mention_id"], r["text"], 0, UNCONTESTED) for r in reversed(rows)]


def desk_labels(store: Store, now: datetime) -> list[Correction]:
    """What ``model adapt`` learns from: the needs_reply corrections, the reply
    confirmations and the "no"s left uncontested for ``SETTLED``, by mention."""
    return sorted(needs_reply_corrections(store) + reply_confirmations(store)
                  + uncontested(store, now - SETTLED), key=lambda c: c.mention_id)
