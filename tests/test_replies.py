"""The drafting stage with the real encoder and the demo brand's knowledge base: what
the agent is offered, what is held, what comes back, and what agents taught it."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

import main
from core.clock import ManualClock, to_iso
from core.errors import ActionRefused
from listener.platforms import PLATFORMS
from pipeline.actions import Actions
from pipeline.draft_cli import draft_items, read_items
from pipeline.jobs import Pipeline
from pipeline.settings import load_settings as load
from responder.acceptance import table
from store import drafts, mentions, publishing, reminders
from store import metrics as metric_store
from store.schema import open_store
from tests.support.actions import seed_mention

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo(tmp_path):
    return load(REPO / "config" / "demo.toml",
                env={"MENTIONDESK_APP_DATABASE": str(tmp_path / "desk.db")})


@pytest.fixture
def desk(demo, embedder, clock):
    store = open_store(demo.app.database)
    pipeline = Pipeline(store=store, settings=demo, classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={}, clock=clock, embedder=embedder)
    yield pipeline
    store.close()


def seed(desk, text, **kw):
    return seed_mention(desk.store, desk.clock, text, brand="Lumora", **kw)


def draft_of(desk, mention_id):
    rows = desk.store.query("SELECT * FROM drafts WHERE mention_id = ?", [mention_id])
    return rows[0] if rows else None


def post(desk, mention_id, approver="ann"):
    """Approve the mention's draft and mark it posted, as the publisher would."""
    row = draft_of(desk, mention_id)
    Actions(desk.store, desk.settings, desk.clock).approve(row["id"], approver, row["version"])
    publishing.mark_posting(desk.store, row["id"], desk.clock.now())
    from core.reply import Posted
    publishing.mark_posted(desk.store, row["id"], Posted(f"p{row['id']}", desk.clock.now()),
                       desk.clock.now())
    return f"p{row['id']}"


def test_draft_links_the_article_and_keeps_what_it_knew(desk):
    m = seed(desk, "@lumorahelp I was charged twice for Lumora Plus this month",
             handle="dana_k", name="Dana Kowalski", topic="billing")
    assert desk.draft_batch() == 1
    row = draft_of(desk, m)
    assert row["article_url"] == "https://help.lumora.example/billing/duplicate-charge"
    assert row["article_url"] in row["text"] and row["text"].startswith("Hi Dana,")
    assert row["template"].startswith("billing.negative#") and row["lang"] == "en"
    assert row["first_text"] == row["text"]


def test_spam_scams_and_second_replies_are_held_with_a_flag(desk):
    scam = seed(desk, "🚨 $LUMO token AIRDROP is LIVE, connect your wallet #Lumora",
                label="positive", topic="general")
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    post(desk, first)
    bystander = seed(desk, "@dana @lumora same, where are the parcels?", handle="bob",
                     conversation="c1")
    desk.draft_batch()
    for mention_id, kind in ((scam, "scam"), (bystander, "thread")):
        row = mentions.get(desk.store, mention_id)
        flags = json.loads(desk.store.query("SELECT flags FROM mentions WHERE id = ?",
                                            [mention_id])[0]["flags"])
        assert row["status"] == "no_action" and draft_of(desk, mention_id) is None
        assert [f["kind"] for f in flags] == [kind]


def test_a_request_in_words_keeps_its_draft_beside_a_policy_flag(desk):
    """The responder's spam, scam and abuse words hold back what asks nothing; a
    customer who asks or reports a problem in words (triage's rules) keeps the reply
    owed them, with the flag beside the draft (issue 17: no request dropped for its
    words)."""
    link = seed(desk, "@lumora video of the flicker: bit.ly/3xYz, can you help?",
                rules={"question": ["?"], "request": ["can you"]})
    angry = seed(desk, "@lumora this piece of shit hub died again, I need a replacement",
                 handle="bo", rules={"request": ["i need"], "problem": ["died"]})
    scam = seed(desk, "@lumora claim your free tokens? bit.ly/free", handle="cc",
                rules={"question": ["?"]})
    desk.draft_batch()
    for mention_id, kind in ((link, "scam"), (angry, "abuse")):
        draft = draft_of(desk, mention_id)
        assert draft["status"] == "pending"
        flags = json.loads(desk.store.query("SELECT flags FROM mentions WHERE id = ?",
                                            [mention_id])[0]["flags"])
        assert [f["kind"] for f in flags] == [kind]
        # The note beside the draft says what was found, not "no reply drafted".
        note = json.loads(draft["notes"])[0]
        assert "drafted all the same" in note and "no reply drafted" not in note
    assert draft_of(desk, scam) is None  # a bare question mark asks nothing in words
    assert mentions.get(desk.store, scam)["status"] == "no_action"


def test_a_mention_an_agent_queued_by_hand_is_drafted_with_its_flags(desk):
    """The policy's words hold a draft back from what triage sends, but not from what an
    agent put in the queue after reading it ("Needs a reply" on /mentions): a post
    about a hub's local API token is no scam, and the scam flag stays beside the draft."""
    post_ = seed(desk, "Lumora Hub firmware 3.8 exposes a local API, token in the app",
                 needs=False, label="neutral", topic="general", priority=0.03)
    desk.draft_batch()
    assert draft_of(desk, post_) is None  # let go by triage: nothing to draft
    Actions(desk.store, desk.settings, desk.clock).correct(post_, "ann", "needs_reply", "1")
    desk.draft_batch()
    assert draft_of(desk, post_)["status"] == "pending"
    assert mentions.get(desk.store, post_)["status"] == "drafted"
    flags = json.loads(desk.store.query("SELECT flags FROM mentions WHERE id = ?",
                                        [post_])[0]["flags"])
    assert [f["kind"] for f in flags] == ["scam"]


def test_a_customer_who_answers_comes_back_to_the_queue(desk):
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    posted_id = post(desk, first)
    desk.clock.advance(minutes=20)
    answer = seed(desk, "thanks. still nothing though", handle="dana", conversation="c1",
                  needs=False, label="positive", in_reply_to=posted_id, minutes_ago=1)
    assert mentions.get(desk.store, answer)["status"] == "no_action"
    desk.draft_batch()
    row = mentions.get(desk.store, answer)
    assert (row["status"], row["reason"]) == ("drafted", "answered our reply")
    history = mentions.thread(desk.store, answer)
    assert [h["reply"] is not None for h in history] == [True]  # our reply, with the post


def test_no_sentence_twice_to_one_author_in_a_day(desk):
    a = seed(desk, "@lumora my parcel never arrived", handle="dana", topic="delivery")
    b = seed(desk, "@lumora and my second order is late too", handle="dana", topic="delivery")
    desk.draft_batch()
    first, second = draft_of(desk, a)["text"], draft_of(desk, b)["text"]
    assert first.split(". ")[0] != second.split(". ")[0]


def test_a_past_approved_reply_is_offered_readdressed(desk):
    old = seed(desk, "@lumora the strip controller blinks red and nothing lights up",
               handle="dana", name="Dana Kowalski", topic="defect")
    desk.draft_batch()
    row = draft_of(desk, old)
    taught = "Hi Dana, a red blink means the controller lost power: reseat the plug. ^Mia"
    Actions(desk.store, desk.settings, desk.clock).approve(row["id"], "ann", 1, taught)
    new = seed(desk, "@lumora my light strip controller is blinking red, no light at all",
               handle="bo_b", name="Bo Berg", topic="defect")
    desk.draft_batch()
    options = json.loads(draft_of(desk, new)["options"])
    assert options[0]["kind"] == "past" and options[0]["from_draft"] == row["id"]
    assert options[0]["text"] == taught.replace("Dana", "Bo")


def test_acceptance_per_template_and_option():
    rows = [
        {"template": "billing.negative#0", "first_text": "a", "text": "a", "options": [],
         "status": "posted"},
        {"template": "billing.negative#0", "first_text": "a", "text": "a!", "options": [],
         "status": "approved"},
        {"template": "billing.negative#0", "first_text": "a", "text": "a", "options": [],
         "status": "rejected"},
        {"template": "default#1", "first_text": "hello there", "status": "posted",
         "text": "hi from the past", "options": [{"kind": "past", "text": "hi from the past"}]},
    ]
    lines = {line["offered"]: line for line in table(rows)}
    assert lines["template billing.negative#0"] | {} == {
        "offered": "template billing.negative#0", "unedited": 1, "edited": 1, "rejected": 1,
        "total": 3, "unedited_share": 0.333}
    assert lines["past approved reply"]["unedited"] == 1


def test_draft_command_on_plain_and_json_lines(demo, classifier, embedder):
    lines = ["@lumorahelp I was charged twice for Lumora Plus, please fix",
             json.dumps({"text": "@lumorahelp mi pedido no llega desde hace dos semanas",
                         "lang": "es", "name": "Marisol R"}),
             "free crypto airdrop, connect your wallet #Lumora",
             "my card 4111 1111 1111 1111 got charged twice by @lumora",
             json.dumps({"text": "@lumorahelp Lumoraのハブが毎晩オフラインになります",
                         "lang": "ja"}),
             ""]
    out = io.StringIO()
    clock = ManualClock()
    draft_items(read_items(lines, "x", "Lumora", clock.now()), demo, classifier, embedder,
                out, clock)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == 5
    billing, spanish, scam, card, japanese = results
    assert billing["article"]["url"].endswith("/billing/duplicate-charge")
    assert billing["drafts"][0]["text"].startswith("Hi there,")
    assert spanish["language"] == "es"
    assert spanish["drafts"][0]["text"].startswith("Hola Marisol")
    assert scam["held"] and scam["drafts"] == [] and scam["flags"][0]["kind"] == "scam"
    assert card["flags"][0]["kind"] == "private_data" and "delete the post" in card["notes"][0]
    assert japanese["language"] == "en" and "answer in Japanese" in japanese["notes"][-1]
    for r in results:
        for d in r["drafts"]:
            assert PLATFORMS["x"].reply_length(d["text"]) <= 280


def test_draft_command_needs_input_and_reports_from_the_database(demo, tmp_path, capsys):
    config = tmp_path / "c.toml"
    config.write_text((REPO / "config" / "demo.toml").read_text().replace(
        'database = "data/demo.db"', f'database = "{tmp_path / "d.db"}"'), encoding="utf-8")
    assert main.main(["--config", str(config), "draft"]) == 2
    assert main.main(["--config", str(config), "draft", "--stats", "--reminders"]) == 0
    out = capsys.readouterr().out
    assert "no decided drafts yet" in out and "reminders are off" in out


def test_unanswered_replies_are_listed_for_a_reminder(desk):
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    post(desk, first)
    later = desk.clock.now()
    desk.clock.advance(hours=5)
    assert [r["handle"] for r in reminders.unanswered(desk.store, desk.clock.now())] == ["dana"]
    assert reminders.unanswered(desk.store, later) == []  # not yet due
    seed(desk, "@lumora got it, thanks", handle="dana", conversation="c1", needs=False,
         minutes_ago=60)
    assert reminders.unanswered(desk.store, desk.clock.now()) == []
    assert to_iso(later)  # posted_at is compared as ISO text


def remind_after(desk, hours):
    r = desk.settings.responder.model_copy(update={"reminder_hours": hours})
    desk.settings = desk.settings.model_copy(update={"responder": r})


def test_an_unanswered_reply_comes_back_to_the_queue_once(desk):
    remind_after(desk, 24)
    actions = Actions(desk.store, desk.settings, desk.clock)
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    post(desk, first)
    desk.clock.advance(hours=23)
    assert desk.remind_unanswered() == 0  # not yet due
    desk.clock.advance(hours=2)
    assert desk.remind_unanswered() == 1
    assert desk.remind_unanswered() == 0  # once per reply
    desk.clock.advance(hours=48)
    assert desk.remind_unanswered() == 0
    pending = [r for r in desk.store.query("SELECT * FROM drafts WHERE mention_id = ?",
                                           [first]) if r["status"] == "pending"]
    assert len(pending) == 1
    reminder = drafts.get(desk.store, pending[0]["id"])
    assert reminder["template"] == drafts.REMINDER
    assert reminder["draft_text"].startswith("Hi @dana, just checking in")
    assert "no answer from @dana 24 h after our reply" in reminder["draft_notes"][0]
    trail = desk.store.query("SELECT actor, action, mention_id, draft_id FROM audit"
                             " WHERE action = 'reminder'")
    assert [(t["mention_id"], t["draft_id"]) for t in trail] == [
        (first, draft_of(desk, first)["id"])]
    # In the queue like any draft, but never a second public reply: DM, then close it.
    assert actions.problems(reminder["draft_id"])[0].startswith("this is a follow-up")
    from web.queue import build_items
    shown = build_items(desk.store, desk.settings, desk.clock.now(), [reminder])[0]
    assert shown["problems"] == actions.problems(reminder["draft_id"])  # before any click
    with pytest.raises(ActionRefused, match="follow-up reminder"):
        actions.approve(reminder["draft_id"], "ann", reminder["version"])
    actions.reject(reminder["draft_id"], "ann", reminder["version"], "followed up by DM")
    assert desk.remind_unanswered() == 0
    # Closing the reminder leaves the mention answered and our reply posted.
    assert mentions.get(desk.store, first)["status"] == "replied"
    assert draft_of(desk, first)["status"] == "posted"
    hour = mentions.get(desk.store, first)["created_at"][:13]
    with desk.store.atomic() as db:  # the rejection judges no draft in the metrics
        assert [f["status"] for f in metric_store.draft_facts(db, hour)] == ["posted"]


def test_no_reminder_when_the_customer_answered_or_reminders_are_off(desk):
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    post(desk, first)
    desk.clock.advance(hours=30)
    assert desk.remind_unanswered() == 0  # reminder_hours = 0: off
    remind_after(desk, 24)
    seed(desk, "@lumora got it, thanks", handle="dana", conversation="c1", needs=False,
         minutes_ago=60)
    assert desk.remind_unanswered() == 0


def test_a_reminder_leaves_the_queue_when_the_customer_answers(desk):
    remind_after(desk, 24)
    first = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
                 minutes_ago=30)
    desk.draft_batch()
    post(desk, first)
    desk.clock.advance(hours=25)
    assert desk.remind_unanswered() == 1
    reminder = next(r for r in desk.store.query("SELECT * FROM drafts WHERE mention_id = ?",
                                                [first]) if r["status"] == "pending")
    seed(desk, "@lumora it came today, thanks", handle="dana", conversation="c1",
         needs=False, minutes_ago=5)
    assert desk.remind_unanswered() == 0
    closed = drafts.get(desk.store, reminder["id"])
    assert (closed["draft_status"], closed["note"]) == ("rejected", drafts.ANSWERED)
    assert mentions.get(desk.store, first)["status"] == "replied"
    assert desk.store.query("SELECT actor FROM audit WHERE action = 'rejected' AND"
                            " draft_id = ?", [reminder["id"]])[0]["actor"] == drafts.SYSTEM


def test_reminders_skip_old_history_and_reminded_replies_never_block_new_ones(desk):
    remind_after(desk, 24)
    old = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
               minutes_ago=30)
    desk.draft_batch()
    post(desk, old)
    desk.clock.advance(days=9)  # enabled long after: that reply is history
    assert desk.remind_unanswered() == 0
    for i in range(3):
        m = seed(desk, f"@lumora hub {i} is offline again", handle=f"sam{i}",
                 conversation=f"k{i}", minutes_ago=30)
        desk.draft_batch()
        post(desk, m)
        desk.clock.advance(hours=1)
    desk.clock.advance(hours=24)
    assert desk.remind_unanswered() == 3
    # Reminded replies leave the job's list, so they never fill its limit; the old one
    # is still unanswered (and listed by `draft --reminders`) but out of the window.
    assert [r["handle"] for r in reminders.unanswered(desk.store, desk.clock.now(),
                                                   unreminded=True)] == ["dana"]
    assert desk.remind_unanswered() == 0


def test_the_daemon_schedules_reminders_only_when_they_are_on(desk):
    from pipeline.daemon import build_scheduler

    assert "reminders" not in {job.id for job in build_scheduler(desk).get_jobs()}
    remind_after(desk, 24)
    assert "reminders" in {job.id for job in build_scheduler(desk).get_jobs()}


def test_drafts_follow_what_the_message_says(desk):
    """The drafts an agent had to rewrite (issue 22), each chosen for the message now."""
    refund = seed(desk, "Lumora support is a maze. 40 min on chat, still no refund for the "
                  "hub I returned in MARCH.", handle="marcus", name="Marcus Bell",
                  topic="outage")
    crushed = seed(desk, "Ordered the Lumora starter kit, box showed up crushed and 2 of 3 "
                   "bulbs rattling. glass everywhere. @lumorahelp", handle="nate",
                   name="Nate", topic="defect")
    smoking = seed(desk, "@lumorahelp my lumora strip started smoking last night and the "
                   "plug melted", handle="sky", name="Sky", topic="defect")
    french = seed(desk, "Panne générale chez Lumora ? L'appli ne répond plus et le hub "
                  "clignote en orange. @lumorahelp", handle="", name="", topic="outage",
                  lang="fr")
    # Tagged billing by its receipt; its words say a dead strip (defect).
    strip = seed(desk, "Lumora strip half dead after 4 months. First 2 meters work, the rest "
                 "is dark. The warranty claim wants the receipt I don't have.",
                 handle="steve", name="", topic="billing")
    desk.draft_batch()
    strip_row = draft_of(desk, strip)
    assert not strip_row["template"].startswith("billing")
    assert "billing" not in strip_row["text"] and "account" not in strip_row["text"]
    refund_row = draft_of(desk, refund)
    assert "lights" not in refund_row["text"] and "/hub/" not in refund_row["text"]
    # Its words say billing (a refund), its meaning an outage (disconnected chat): an
    # unsure topic names no problem ("sorry about the billing trouble" was its draft
    # before), and the variant sharing the customer's words answers what they said.
    assert refund_row["template"].startswith("negative#")
    assert "billing" not in refund_row["text"] and "support" in refund_row["text"]
    crushed_text = draft_of(desk, crushed)["text"]
    assert "smoke" not in crushed_text and "unplug" not in crushed_text
    smoke_row = draft_of(desk, smoking)
    assert smoke_row["template"].startswith("negative+safety#")
    assert smoke_row["text"].count("unplug") == 1  # the safety lead says it, once
    # Greeting first, then the safety instruction, then the rest of the body.
    assert smoke_row["text"].startswith(
        "Hi Sky, for your safety, please unplug it and stop using it for now. That must")
    french_text = draft_of(desk, french)["text"]
    assert french_text.startswith("Bonjour") and "there" not in french_text


def test_a_bystanders_safety_warning_is_thanked_not_consoled(desk):
    """A bystander warning about someone else's charred plug is thanked for it; whoever
    has the product is asked to unplug and DM us. The owner's own report keeps the lead,
    the sympathy and the replacement."""
    owner = seed(desk, "@lumorahelp my hub's barrel jack is discoloured and it smells "
                 "like burning plastic, overheating?", handle="casey_owner", name="Casey",
                 topic="defect")
    warning = seed(desk, "Do NOT plug it back in. Discoloration near the barrel jack = "
                   "overheating at the connector. Take photos, keep the unit, contact Lumora "
                   "and your consumer safety agency. Not worth a fire.",
                   handle="sparky_electrician", name="", topic="defect", role="bystander")
    desk.draft_batch()
    row = draft_of(desk, warning)
    text = row["text"]
    assert row["template"].startswith("negative+bystander#")
    assert text.startswith("Hi @sparky_electrician, thanks for the warning")
    assert "anyone with this problem: please unplug it" in text and "DM us" in text
    assert "for your safety" not in text.lower() and "frightening" not in text
    assert "replacement" not in text
    owned = draft_of(desk, owner)
    assert owned["template"].startswith("negative+safety#")
    assert owned["text"].startswith(
        "Hi Casey, for your safety, please unplug it and stop using it for now. That must "
        "have been frightening, sorry.")
    assert "replacement" in owned["text"]


def test_a_plus_cancellation_question_gets_the_subscription_article(desk):
    """At kb_threshold 0.72 (chosen on care texts) the demo's "if I cancel Lumora Plus do
    my schedules and scenes stay?" got no link: the article now says what Plus leaves
    behind, and a newsletter's cancellation still gets none."""
    plus = seed(desk, "Question for @lumorahelp - if I cancel Lumora Plus do my schedules "
                "and scenes stay or do I lose everything?", handle="gina_at_home",
                name="Gina R.", topic="billing", label="neutral")
    news = seed(desk, "cancel the newsletter subscription", handle="ned", topic="general",
                label="neutral")
    desk.draft_batch()
    assert "/billing/plus-subscription" in draft_of(desk, plus)["text"]
    assert "help.lumora.example" not in draft_of(desk, news)["text"]


def test_the_drafting_log_counts_this_batch_as_new(desk, caplog):
    """poll --once logged "64 drafts waiting for approval" three times with 232 waiting:
    each line is one batch's new drafts, and says so."""
    for i in range(2):
        seed(desk, f"@lumora my order {i} never arrived", handle=f"c{i}")
    with caplog.at_level("INFO", logger="pipeline.replies"):
        desk.draft_batch()
    assert "drafting: 2 new drafts, now waiting for approval" in caplog.text
    seed(desk, "@lumora my order 9 never arrived", handle="c9")
    caplog.clear()
    with caplog.at_level("INFO", logger="pipeline.replies"):
        desk.draft_batch()
    assert "drafting: 1 new draft, now waiting for approval" in caplog.text  # not "1 new drafts"
    # Thank-yous to praise are drafted but need no reply: the line says how many, so it
    # adds up with triage's "needing a reply" (31 needing one, 40 drafts, in the demo).
    seed(desk, "love my new lamp, thank you!", handle="fan", label="positive", needs=False,
         optional=True)
    seed(desk, "@lumora my order 10 never arrived", handle="c10")
    caplog.clear()
    with caplog.at_level("INFO", logger="pipeline.replies"):
        desk.draft_batch()
    assert ("drafting: 2 new drafts (1 optional thank-you), now waiting for approval"
            in caplog.text)


def test_batch_context_reads_each_mentions_own_author_and_thread(desk):
    """The drafting stage reads its context for the whole batch at once: each mention
    gets its own author's earlier drafts (not a neighbour's, not rejected ones) and our
    reply in its own conversation only."""
    a = seed(desk, "@lumora my parcel never arrived", handle="dana", conversation="c1",
             minutes_ago=30)
    b = seed(desk, "@lumora the hub is offline", handle="bob", conversation="c2",
             minutes_ago=30)
    desk.draft_batch()
    post(desk, a)
    rejected = draft_of(desk, b)
    Actions(desk.store, desk.settings, desk.clock).reject(
        rejected["id"], "ann", rejected["version"])
    a2 = seed(desk, "@lumora still waiting", handle="dana", conversation="c9")
    b2 = seed(desk, "@lumora any news", handle="bob", conversation="c2")
    c = seed(desk, "@dana @lumora same here", handle="cy", conversation="c1")
    since = desk.clock.now() - timedelta(days=1)
    author_of, sent = drafts.sent_to_authors(desk.store, [a2, b2, c], since)
    assert sent[author_of[a2]] == [draft_of(desk, a)["text"]]
    assert sent[author_of[b2]] == [] and sent[author_of[c]] == []
    for mention_id in (a2, b2, c):
        assert drafts.sent_to_author(desk.store, mention_id, since) == sent[
            author_of[mention_id]]
    threads = drafts.replies_in_threads(desk.store, [a2, b2, c])
    assert list(threads) == [c] and threads[c]["handle"] == "dana"
    assert drafts.reply_in_thread(desk.store, c) == threads[c]
    assert drafts.reply_in_thread(desk.store, a2) is None
