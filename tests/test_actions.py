"""The agent-actions module: one set of rules for every interface (policy, length,
claims, versions, the undo window)."""

from __future__ import annotations

import pytest

from core.errors import ActionRefused
from listener.replay.publisher import SinkPublisher
from pipeline.actions import Actions
from pipeline.jobs import Pipeline
from store import audit, users
from store.operations import drafts_by_state
from tests.support.actions import BAD_REPLIES, SOURCE, desk_settings, draft_row, seed

GOOD = "Hi @casey, sorry about that. Please DM us the order number and we'll chase it."


@pytest.fixture
def desk(store, clock, tmp_path):
    settings = desk_settings(tmp_path)
    return Actions(store, settings, clock)


def publisher_run(actions: Actions, tmp_path) -> tuple[int, list[str]]:
    sink = SinkPublisher(tmp_path / "sink.jsonl", actions.clock)
    pipeline = Pipeline(store=actions.store, settings=actions.settings,
                        classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={SOURCE: sink}, clock=actions.clock)
    posted = pipeline.publish_batch()
    return posted, [r["text"] for r in sink.replies()]


@pytest.mark.parametrize(("text", "named"), BAD_REPLIES)
def test_no_bad_text_can_be_saved_or_approved(desk, clock, text, named):
    _, draft_id = seed(desk.store, clock, "@acme where is my parcel?", GOOD)
    for act in (lambda: desk.edit(draft_id, "ann", 1, text),
                lambda: desk.approve(draft_id, "ann", 1, text)):
        with pytest.raises(ActionRefused) as refused:
            act()
        message = str(refused.value)
        assert message.startswith("Not ") and message.endswith(".") and named in message
    row = draft_row(desk.store, draft_id)
    assert (row["status"], row["text"], row["version"]) == ("pending", GOOD, 1)


def test_a_bad_draft_cannot_be_approved_as_it_stands(desk, clock):
    bad = "Hi @casey, reply with your password here and we'll check"
    _, draft_id = seed(desk.store, clock, "@acme can't log in", bad)
    assert any("password" in p for p in desk.problems(draft_id))
    with pytest.raises(ActionRefused, match=r"^Not approved: asks for password in public"):
        desk.approve(draft_id, "ann", 1)
    assert draft_row(desk.store, draft_id)["status"] == "pending"
    done = desk.edit(draft_id, "ann", 1, "Hi @casey, please DM us and we'll help you in.")
    assert done.version == 2 and desk.problems(draft_id) == []
    assert "goes out in 10 seconds" in desk.approve(draft_id, "ann", 2).message


def test_versions_and_claims_are_enforced(desk, clock):
    mention_id, draft_id = seed(desk.store, clock, "@acme parcel lost", GOOD)
    assert desk.claim(mention_id, "bob").message == "Assigned to you."
    with pytest.raises(ActionRefused, match="bob is working on this mention"):
        desk.approve(draft_id, "ann", 1)
    with pytest.raises(ActionRefused, match=r"^Not assigned: bob is working"):
        desk.claim(mention_id, "ann")
    assert desk.edit(draft_id, "bob", 1, GOOD + " ^Bo").version == 2
    desk.claim(mention_id, "ann", takeover=True)
    with pytest.raises(ActionRefused, match="changed by a colleague"):
        desk.approve(draft_id, "ann", 1)  # the version ann saw before bob's edit
    assert desk.release(mention_id, "bob").message.startswith("Nothing to release")
    desk.approve(draft_id, "ann", 2)
    with pytest.raises(ActionRefused, match="already approved"):
        desk.reject(draft_id, "ann", 2, "spam")


def test_an_approved_reply_waits_out_the_undo_window(desk, clock, tmp_path):
    _, draft_id = seed(desk.store, clock, "@acme parcel lost", GOOD)
    desk.approve(draft_id, "ann", 1)
    clock.advance(9)
    assert publisher_run(desk, tmp_path) == (0, [])
    done = desk.undo(draft_id, "ann")
    row = draft_row(desk.store, draft_id)
    assert (row["status"], row["approved_by"], done.version) == ("pending", None, 2)
    assert "undone" in [e["action"] for e in audit.entries(desk.store)]

    desk.approve(draft_id, "ann", 2)
    clock.advance(10)
    with pytest.raises(ActionRefused, match="already on its way"):
        desk.undo(draft_id, "ann")
    assert publisher_run(desk, tmp_path) == (1, [GOOD])
    assert publisher_run(desk, tmp_path) == (0, [GOOD])  # exactly once


def test_skip_reject_and_handled_say_what_happened(desk, clock):
    _, draft_id = seed(desk.store, clock, "@acme free crypto", GOOD)
    assert desk.skip(draft_id, "ann").message.startswith("Skipped")
    assert desk.reject(draft_id, "ann", 1, "  spam  ").message == "Draft rejected: spam"
    assert drafts_by_state(desk.store) == {"rejected": 1}
    with pytest.raises(ActionRefused, match=r"^Not marked: draft .* was not refused"):
        desk.replied_by_hand(draft_id, "ann")
    with pytest.raises(ActionRefused, match="Draft 999 no longer exists"):
        desk.approve(999, "ann", 1)


def test_one_reply_per_thread_unless_the_customer_answers(desk, clock):
    _, first = seed(desk.store, clock, "@acme my parcel is lost", GOOD, handle="dana",
                    conversation="c1")
    _, bystander = seed(desk.store, clock, "@dana same here lol", GOOD, handle="bob",
                        conversation="c1")
    desk.approve(first, "ann", 1)
    with pytest.raises(ActionRefused, match=r"^Not approved: we already replied in this "
                                            r"conversation \(to @dana\)"):
        desk.approve(bystander, "ann", 1)
    clock.advance(minutes=10)  # her answer comes after our reply
    _, answer = seed(desk.store, clock, "@acme thanks, DM sent", GOOD, handle="dana",
                     conversation="c1")
    desk.approve(answer, "ann", 1)  # the customer wrote back: we may answer again


def test_every_approval_is_remembered_with_its_mention(desk, clock):
    _, draft_id = seed(desk.store, clock, "@acme my parcel is lost", GOOD)
    desk.approve(draft_id, "ann", 1, GOOD + " ^Ann")
    memory = desk.store.query("SELECT * FROM reply_memory")
    assert len(memory) == 1
    row = memory[0]
    assert (row["mention_text"], row["reply"], row["drafted"], row["edited"]) == (
        "@acme my parcel is lost", GOOD + " ^Ann", GOOD, 1)
    desk.undo(draft_id, "ann")
    assert desk.store.query("SELECT * FROM reply_memory") == []


def test_a_desk_account_acts_only_within_its_role_whatever_the_interface(desk, clock):
    """The role rules live with the other rules: a viewer's or a drafter's approval is
    refused by the actions themselves, not only by the web's guard or the terminal's
    admission (a new interface cannot forget them); names that are no desk account (a
    script, the daemon) are not checked."""
    users.add(desk.store, "vic", "viewer", "x", clock.now())
    users.add(desk.store, "dora", "drafter", "x", clock.now())
    users.add(desk.store, "gone", "agent", "x", clock.now())
    users.set_disabled(desk.store, "gone", True, clock.now())
    mention_id, draft_id = seed(desk.store, clock, "@acme parcel lost", GOOD)
    with pytest.raises(ActionRefused, match=r"^Your role \(viewer\) may not do this\.$"):
        desk.claim(mention_id, "vic")
    with pytest.raises(ActionRefused, match=r"^Your role \(viewer\) may not do this\.$"):
        desk.correct(mention_id, "VIC", "needs_reply", "0")  # any spelling of the name
    assert desk.edit(draft_id, "dora", 1, GOOD + " Thanks!").version == 2  # a drafter edits
    with pytest.raises(ActionRefused, match=r"^Your role \(drafter\) may not do this\.$"):
        desk.approve(draft_id, "dora", 2)
    with pytest.raises(ActionRefused, match="disabled"):
        desk.approve(draft_id, "gone", 2)
    assert draft_row(desk.store, draft_id)["status"] == "pending"
    assert "goes out" in desk.approve(draft_id, "ann", 2).message  # no account: unchecked
