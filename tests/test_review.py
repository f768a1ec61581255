"""Terminal review: scripted answers drive the same actions an agent types."""

from __future__ import annotations

import io

from store import audit, drafts
from terminal.review import review, visible
from tests.conftest import mention_line
from tests.test_pipeline import make_pipeline


def test_review_walks_the_queue_and_audits_each_action(make_settings, classifier, clock):
    settings = make_settings([
        mention_line("1", "@lumora my order never arrived, where is it?"),
        mention_line("2", "@lumora you charged me twice, refund please"),
        mention_line("3", "@lumora why is the app down again?"),
        mention_line("4", "@lumora my parcel is lost, help"),
    ])
    pipeline = make_pipeline(settings, classifier, clock)
    pipeline.run_once()
    assert len(drafts.pending(pipeline.store)) == 4
    answers = iter(["a", "e", "Hi, we're on it. DM us please ^Mia", "a", "r", "spam", "s"])
    out = io.StringIO()
    counts = review(pipeline.store, settings, clock, "ann", lambda _: next(answers), out)
    assert counts == {"approved": 2, "edited": 1, "rejected": 1, "skipped": 1}
    assert drafts.counts_by_status(pipeline.store) == {"approved": 2, "rejected": 1,
                                                       "pending": 1}
    actions = [e["action"] for e in audit.entries(pipeline.store) if e["actor"] == "ann"]
    assert actions.count("approved") == 2 and "edited" in actions and "skipped" in actions
    assert "No drafts waiting" in out.getvalue()


def test_hostile_text_cannot_drive_the_terminal():
    shown = visible("hi\x1b[2J\u202eevil\u200b" + "x" * 1000)
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "<U+001B>" in shown and "<U+202E>" in shown and "<U+200B>" in shown
    assert "more characters" in shown
