"""Agent actions on drafts: exact-text approval, conflicts, claims, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import ConflictError
from core.mention import Author, Mention
from store import audit, claims, drafts, mentions, sources

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def one_draft(store, text="Hi @ann, sorry!") -> int:
    sources.ensure(store, "s", "x")
    m = Mention(platform="x", platform_id="1", text="@lumora help",
                author=Author(platform_id="a", handle="ann"), created_at=NOW)
    mentions.save_poll(store, "s", "Lumora", [m], {}, NOW)
    mentions.save_triage(store, [mentions.TriageRecord(
        mention_id=1, label="negative", scores={"negative": 0.9}, complaint=True,
        needs_reply=True, optional=False, reason="complaint", topic="general", priority=0.5,
        factors={}, model_name="m", model_version="v")], NOW)
    return drafts.create(store, 1, text, NOW)


def test_a_mention_gets_one_draft(store):
    one_draft(store)
    assert drafts.create(store, 1, "again", NOW) is None


def test_edit_then_approve_keeps_both_texts_in_the_audit(store):
    draft_id = one_draft(store)
    version = drafts.edit(store, draft_id, "bo", 1, "Hi @ann, on it!", NOW)
    drafts.approve(store, draft_id, "bo", version, NOW)
    row = store.query("SELECT status, text, approved_by FROM drafts")[0]
    assert row == {"status": "approved", "text": "Hi @ann, on it!", "approved_by": "bo"}
    actions = [(e["action"], e["actor"], e["before"], e["after"]) for e in audit.entries(store)]
    assert ("edited", "bo", "Hi @ann, sorry!", "Hi @ann, on it!") in actions
    assert actions[0][:2] == ("approved", "bo")


def test_approving_a_text_a_colleague_changed_is_refused(store):
    draft_id = one_draft(store)
    drafts.edit(store, draft_id, "cy", 1, "Changed by Cy", NOW)
    with pytest.raises(ConflictError, match="changed by a colleague"):
        drafts.approve(store, draft_id, "bo", 1, NOW)
    assert drafts.get(store, draft_id)["draft_status"] == "pending"


def test_claimed_mentions_need_an_explicit_take_over(store):
    draft_id = one_draft(store)
    claims.claim(store, 1, "cy", NOW)
    with pytest.raises(ConflictError, match="cy is working on this mention"):
        drafts.approve(store, draft_id, "bo", 1, NOW)
    with pytest.raises(ConflictError):
        claims.claim(store, 1, "bo", NOW)
    claims.claim(store, 1, "bo", NOW, takeover=True)
    drafts.approve(store, draft_id, "bo", 1, NOW)
    assert audit.entries(store)[1]["action"] == "took over"


def test_reject_records_the_note_and_closes_the_mention(store):
    draft_id = one_draft(store)
    drafts.reject(store, draft_id, "bo", 1, "spam account", NOW)
    assert store.query("SELECT status FROM mentions")[0]["status"] == "no_action"
    assert audit.entries(store)[0]["note"] == "spam account"
    with pytest.raises(ConflictError, match="already rejected"):
        drafts.approve(store, draft_id, "bo", 1, NOW)


def test_pending_queue_is_ordered_and_filtered(store):
    one_draft(store)
    assert [d["draft_id"] for d in drafts.pending(store)] == [1]
    assert drafts.pending(store, topic="billing") == []
