"""Terminal review: scripted answers drive the same actions an agent types."""

from __future__ import annotations

import io

import pytest

from store import audit, drafts
from store.operations import drafts_by_state
from store.schema import open_store
from terminal.review import fit, review, visible
from tests.support import mention_line
from tests.support.actions import BAD_REPLIES, desk_settings, draft_row, seed
from tests.support.pipeline import make_pipeline


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
    assert counts == {"approved": 2, "edited": 1, "rejected": 1, "skipped": 1, "undone": 0}
    assert drafts_by_state(pipeline.store) == {"approved": 2, "rejected": 1,
                                                       "pending": 1}
    actions = [e["action"] for e in audit.entries(pipeline.store) if e["actor"] == "ann"]
    assert actions.count("approved") == 2 and "edited" in actions and "skipped" in actions
    assert "No drafts waiting" in out.getvalue()


def test_hostile_text_cannot_drive_the_terminal():
    shown = visible("hi\x1b[2J\u202eevil\u200b" + "x" * 1000)
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "<U+001B>" in shown and "<U+202E>" in shown and "<U+200B>" in shown
    assert "more characters" in shown


@pytest.mark.parametrize(("text", "named"), BAD_REPLIES)
def test_terminal_cannot_save_or_approve_a_bad_reply(tmp_path, clock, text, named):
    store = open_store(tmp_path / "desk.db")
    settings = desk_settings(tmp_path)
    good = "Hi @casey, sorry! Please DM us and we'll sort it out."
    _, draft_id = seed(store, clock, "@acme my parcel is lost", good)
    _, bad_id = seed(store, clock, "@acme cannot log in", text, handle="robin")
    answers = iter(["e", text, "s", "a", "q"])  # a bad edit of the first; approve the bad
    out = io.StringIO()
    counts = review(store, settings, clock, "ann", lambda _: next(answers), out)
    shown = out.getvalue()
    assert counts["approved"] == counts["edited"] == 0
    assert "Not saved: " in shown and "Not approved: " in shown and named in shown
    assert "cannot be sent as it is" in shown  # said before the agent chose
    assert draft_row(store, draft_id)["text"] == good
    assert {draft_row(store, d)["status"] for d in (draft_id, bad_id)} == {"pending"}
    store.close()


def test_terminal_undoes_the_last_approval(tmp_path, clock):
    store = open_store(tmp_path / "desk.db")
    _, first = seed(store, clock, "@acme parcel lost", "Hi @casey, please DM us the details.")
    seed(store, clock, "@acme parcel late", "Hi @robin, please DM us the details.",
         handle="robin")
    answers = iter(["a", "u", "s", "s"])
    out = io.StringIO()
    counts = review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers), out)
    assert counts["undone"] == 1 and "goes out in 10 seconds" in out.getvalue()
    assert draft_row(store, first)["status"] == "pending"
    store.close()


def test_terminal_shows_notes_and_takes_the_second_option(tmp_path, clock):
    from tests.support.actions import seed_mention

    store = open_store(tmp_path / "desk.db")
    mention_id = seed_mention(store, clock, "@acme my card 4111 1111 1111 1111 was charged")
    past = "Hi @casey, DM us the order email and we'll check it today."
    draft_id = drafts.create(
        store, mention_id, "Hi @casey, sorry! DM us please.", clock.now(),
        notes=["The customer posted a card number in public: suggest they delete the post "
               "and continue by DM."], article_url="https://help.acme.example/billing",
        options=[{"kind": "past", "text": past, "from_draft": 9, "score": 0.8}])
    answers = iter(["o", "a"])
    out = io.StringIO()
    counts = review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers), out)
    shown = out.getvalue()
    assert "note: The customer posted a card number" in shown
    # The first draft never carried the link: said plainly, no "will not be sent".
    assert "article: https://help.acme.example/billing (left out of the first draft)" in shown
    assert f"[o]ption (past): {past}" in shown
    assert (counts["edited"], counts["approved"]) == (1, 1)
    row = draft_row(store, draft_id)
    assert (row["status"], row["text"]) == ("approved", past)
    store.close()


def test_unknown_keys_ask_again_help_and_a_summary(tmp_path, clock):
    store = open_store(tmp_path / "desk.db")
    _, draft_id = seed(store, clock, "@acme parcel lost", "Hi @casey, please DM us.")
    answers = iter(["x", "?", "", "q"])
    out = io.StringIO()
    counts = review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers), out)
    shown = out.getvalue()
    assert "'x' is not a key here: nothing done" in shown
    assert "keys:" in shown and "e  edit the draft" in shown  # the help
    assert counts["skipped"] == 0 and draft_row(store, draft_id)["status"] == "pending"
    assert not [e for e in audit.entries(store) if e["action"] == "skipped"]  # no accident
    assert shown.rstrip().endswith("Recorded as ann: approved 0, edited 0, rejected 0, "
                                   "skipped 0, undone 0.")
    store.close()


def test_edit_opens_the_draft_and_the_article_line_follows_it(tmp_path, clock):
    from tests.support.actions import seed_mention

    store = open_store(tmp_path / "desk.db")
    mention_id = seed_mention(store, clock, "@acme how do I pair the bulb?")
    url = "https://help.acme.example/pairing"
    draft_id = drafts.create(store, mention_id, f"Hi @casey, this guide helps: {url}\n^Mia",
                             clock.now(), article_url=url)
    opened: list[tuple[str, str, int]] = []

    def editor(text: str, platform: str, limit: int) -> str:
        opened.append((text, platform, limit))
        return "Hi @casey, hold the button for 5 s.\nThen pair it again.\n^Mia"

    answers = iter(["e", "a"])
    out = io.StringIO()
    counts = review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers),
                    out, editor)
    assert opened == [(f"Hi @casey, this guide helps: {url}\n^Mia", "replay", 280)]
    assert counts["edited"] == 1 and counts["approved"] == 1
    shown = out.getvalue()
    before, after = shown.split("Draft saved.")
    assert f"article: {url}\n" in before
    assert f"article: {url} (not in the text: it will not be sent)" in after
    assert draft_row(store, draft_id)["text"].count("\n") == 2  # several lines kept
    store.close()


def test_the_review_acts_as_a_desk_account(tmp_path, clock):
    from core.errors import ActionRefused
    from store import users
    from terminal.review import desk_account

    store = open_store(tmp_path / "desk.db")
    users.add(store, "Ann", "agent", "x", clock.now())
    users.add(store, "vic", "viewer", "x", clock.now())
    assert desk_account(store, "ann") == "Ann"
    for name, said in (("", "--as NAME"), ("root", "no desk account"),
                       ("vic", "only an agent or an admin")):
        with pytest.raises(ActionRefused, match=said):
            desk_account(store, name)
    store.close()


def test_the_editor_counts_as_the_platform_does():
    from terminal.editor import length_bar

    assert length_bar("Hi https://example.com/" + "a" * 80, "x", 280).startswith(
        "26 / 280 on x (254 left)")
    assert "5 over the limit" in length_bar("x" * 285, "x", 280)
def test_terminal_marks_an_ai_draft_and_audits_its_model(tmp_path, clock):
    from tests.support.actions import seed_mention

    store = open_store(tmp_path / "desk.db")
    mention_id = seed_mention(store, clock, "@acme my parcel never arrived")
    written = "Hi @casey, sorry the parcel is late. Send us a DM and we'll chase it."
    draft_id = drafts.create(
        store, mention_id, "Hi @casey, sorry! DM us please.", clock.now(), template="t#0",
        options=[{"kind": "ai", "text": written, "model": "llama3.1:8b"}])
    answers = iter(["o", "a"])
    out = io.StringIO()
    review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers), out)
    assert f"[o]ption (AI draft, llama3.1:8b): {written}" in out.getvalue()
    assert draft_row(store, draft_id)["text"] == written
    [approved] = audit.entries(store, mention_id=mention_id, action="approved")
    assert approved["note"] == "written by ai draft (llama3.1:8b)"
    store.close()


def test_the_item_wraps_between_words_inside_its_indentation(tmp_path, clock):
    """In a terminal narrower than the mention, the terminal cut words in two and the
    rest of each line started at column 0, out of the item's indentation."""
    store = open_store(tmp_path / "desk.db")
    text = ("@acme the hub went offline again after the firmware update last night and "
            "none of the scenes run any more\nsecond paragraph: support chat never answered")
    reply = ("Hi @casey, sorry the hub dropped off after the update. Please DM us its "
             "serial number and we will get it back online with you today.")
    seed(store, clock, text, reply)
    answers = iter(["q"])
    out = io.StringIO()
    review(store, desk_settings(tmp_path), clock, "ann", lambda _: next(answers), out,
           width=50)
    lines = out.getvalue().split("Recorded as")[0].splitlines()  # the item shown
    assert all(len(line) <= 50 for line in lines), [x for x in lines if len(x) > 50]
    start = next(i for i, line in enumerate(lines) if line.startswith("  > @acme"))
    assert lines[start + 1].startswith("    ") and lines[start + 1][4] != " "
    words = " ".join(line.strip() for line in lines)
    for word in (text + " " + reply).split():
        assert word in words  # no word cut in two
    assert "  > second paragraph: support chat never answered" not in lines  # 4 spaces
    assert "    second paragraph: support chat never answered" in lines
    # A pipe or a script (width 0) gets the lines unwrapped, as before.
    assert fit("  > " + "word " * 30, 0) == "  > " + "word " * 30
    store.close()
