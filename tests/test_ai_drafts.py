"""AI drafts against the sandbox model server over real HTTP on 127.0.0.1: grounded
prompts, every failure falling back to the template draft, nothing unsafe offered or
approvable, the key kept out of logs, and a stalled model that never blocks the daemon."""

from __future__ import annotations

import io
import json
import logging
import threading
from pathlib import Path

import pytest

from core.clock import ManualClock
from core.errors import ActionRefused
from pipeline.actions import Actions
from pipeline.ai_drafts import AiDrafter
from pipeline.draft_cli import draft_items, read_items
from pipeline.jobs import Pipeline
from pipeline.ops_cli import poll_once
from pipeline.settings import load_settings as load
from responder import ai
from responder.acceptance import by_kind
from sandbox.model_api import ModelSandbox
from store import ai_drafts, audit, drafts
from store.schema import open_store
from tests.support.actions import seed_mention

REPO = Path(__file__).resolve().parent.parent
KEY = "sk-test-7f3a9c1e5b"
BILLING = "https://help.lumora.example/billing/duplicate-charge"
LEAD = "For your safety, please unplug it and stop using it for now."


@pytest.fixture
def model():
    with ModelSandbox(key=KEY) as sandbox:
        yield sandbox


def settings_for(tmp_path, sandbox: ModelSandbox, **env: str):
    return load(REPO / "config" / "demo.toml", env={
        "MENTIONDESK_APP_DATABASE": str(tmp_path / "desk.db"),
        "MENTIONDESK_RESPONDER_AI_ENABLED": "true",
        "MENTIONDESK_RESPONDER_AI_BASE_URL": f"{sandbox.url}/v1",
        "MENTIONDESK_RESPONDER_AI_MODEL": "sandbox-7b",
        "MENTIONDESK_RESPONDER_AI_TIMEOUT_SECONDS": "60",
        **{f"MENTIONDESK_RESPONDER_AI_{k.upper()}": v for k, v in env.items()}})


@pytest.fixture
def desk(tmp_path, model, embedder, clock, monkeypatch):
    monkeypatch.setenv("MENTIONDESK_AI_API_KEY", KEY)
    settings = settings_for(tmp_path, model)
    store = open_store(settings.app.database)
    pipeline = Pipeline(store=store, settings=settings, classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={}, clock=clock, embedder=embedder)
    pipeline.ai = AiDrafter(settings, pipeline.replies, clock)
    yield pipeline
    pipeline.ai.model.close()
    store.close()


def seed(desk, text, **kw):
    return seed_mention(desk.store, desk.clock, text, brand="Lumora", **kw)


def draft_of(desk, mention_id) -> dict:
    row = desk.store.query("SELECT * FROM drafts WHERE mention_id = ?", [mention_id])[0]
    return {**row, "options": json.loads(row["options"])}


def attempt(desk, draft_id) -> dict | None:
    rows = desk.store.query("SELECT * FROM ai_drafts WHERE draft_id = ?", [draft_id])
    return rows[0] if rows else None


def test_off_by_default_and_set_from_the_environment(tmp_path, model):
    demo = load(REPO / "config" / "demo.toml", env={})
    assert demo.responder.ai.enabled is False
    assert all(b.ai_drafts for b in demo.brands)
    on = settings_for(tmp_path, model, temperature="0.1")
    assert on.responder.ai.enabled and on.responder.ai.model == "sandbox-7b"
    assert on.responder.ai.base_url == f"{model.url}/v1" and on.responder.ai.temperature == 0.1


def test_the_ai_draft_sits_beside_the_template_and_its_prompt_is_grounded(desk, model):
    old = seed(desk, "@lumorahelp I was charged twice for Lumora Plus", handle="ann_b",
               name="Ann Berg", topic="billing")
    desk.draft_batch()
    taught = ("Hi Ann, sorry for the double charge: DM us the last four digits of the card "
              "and we'll check it. ^Mia")
    Actions(desk.store, desk.settings, desk.clock).approve(draft_of(desk, old)["id"], "lee",
                                                           1, taught)
    new = seed(desk, "@lumorahelp charged twice for Lumora Plus this month, why??",
               handle="dana_k", name="Dana Kowalski", topic="billing")
    desk.draft_batch()
    template = draft_of(desk, new)["text"]
    assert desk.ai.run_batch(desk.store) == 1

    row = draft_of(desk, new)
    assert row["text"] == template  # the template draft stays the draft
    [option] = [o for o in row["options"] if o["kind"] == "ai"]
    assert option["model"] == "sandbox-7b" and BILLING in option["text"]
    assert option["text"].startswith("Hi Dana,")
    assert attempt(desk, row["id"])["status"] == "offered"

    sent = model.requests[-1]
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    system, user = (m["content"] for m in sent["body"]["messages"])
    assert "Title: Charged twice? Fix a duplicate charge" in user and BILLING in user
    assert "pending holds and how we return the extra charge" in user  # its text
    assert taught in user  # the nearest approved reply, as an example
    assert f"{ai.BEGIN}\n@lumorahelp charged twice" in user  # customer text, delimited
    assert "tone negative; topic billing" in user and "Write in English" in system
    assert [e["action"] for e in audit.entries(desk.store, mention_id=new)
            ].count("ai_drafted") == 1


def test_the_model_answers_in_the_customers_language(desk, model):
    m = seed(desk, "@lumora mi pedido no ha llegado y nadie me contesta", handle="lucia",
             name="Lucía Pérez", lang="es", topic="delivery")
    desk.draft_batch()
    desk.ai.run_batch(desk.store)
    assert "Write in Spanish" in model.requests[-1]["body"]["messages"][0]["content"]
    [option] = draft_of(desk, m)["options"][:1]
    assert option["kind"] == "ai" and option["text"].startswith("Hola Lucía")


UNSAFE = [  # mode, the reason it is not offered
    ("password", "asks for password"),
    ("long", "characters and replay allows 280"),
    ("foreign_link", "lumora-support.example.net/claim, which is not in the knowledge base"),
    ("echo", "repeats the customer's message"),
    ("empty", "the reply is empty"),
    ("bad_json", "malformed answer"),
]


@pytest.mark.parametrize(("mode", "reason"), UNSAFE)
def test_an_unsafe_or_malformed_answer_is_refused_and_the_template_stays(desk, model, mode,
                                                                          reason, caplog):
    model.mode = mode
    m = seed(desk, "@lumora my order never arrived and support is not answering me at all",
             handle="casey")
    desk.draft_batch()
    template = draft_of(desk, m)["text"]
    with caplog.at_level(logging.WARNING, logger="pipeline.ai_drafts"):
        assert desk.ai.run_batch(desk.store) == 1
    row = draft_of(desk, m)
    assert row["text"] == template and not [o for o in row["options"] if o["kind"] == "ai"]
    tried = attempt(desk, row["id"])
    assert tried["status"] == ("failed" if mode == "bad_json" else "refused")
    assert reason in tried["reason"] and reason in caplog.text  # counted and logged
    assert desk.ai.run_batch(desk.store) == 0  # decided: not asked again


@pytest.mark.parametrize("mode", ["error", "rate_limit", "stall"])
def test_timeouts_5xx_and_429_back_off_then_give_up(tmp_path, model, embedder, clock,
                                                     monkeypatch, mode):
    monkeypatch.setenv("MENTIONDESK_AI_API_KEY", KEY)
    model.mode, model.retry_after, model.stall_limit = mode, 120, 5
    settings = settings_for(tmp_path, model, timeout_seconds="0.5", max_attempts="2",
                            retry_seconds="60")
    store = open_store(settings.app.database)
    pipeline = Pipeline(store=store, settings=settings, classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={}, clock=clock, embedder=embedder)
    drafter = AiDrafter(settings, pipeline.replies, clock)
    first = seed_mention(store, clock, "@lumora my parcel never arrived", brand="Lumora")
    second = seed_mention(store, clock, "@lumora the app logs me out", brand="Lumora")
    pipeline.draft_batch()
    assert drafter.run_batch(store) == 0  # the first call fails: the job pauses
    assert len(model.requests) == 1
    [waiting] = store.query("SELECT * FROM ai_drafts")
    assert waiting["status"] == "waiting" and waiting["attempts"] == 1
    expected = {"error": "server error (500)", "rate_limit": "rate limited (429)",
                "stall": "within 0.5 s"}[mode]
    assert expected in waiting["reason"]
    clock.advance(30)
    assert drafter.run_batch(store) == 0 and len(model.requests) == 1  # still backing off
    clock.advance(120)  # past 60 s (back-off) and 120 s (Retry-After)
    drafter.run_batch(store)
    assert len(model.requests) == 2
    rows = {r["draft_id"]: r for r in store.query("SELECT * FROM ai_drafts")}
    ids = {m: draft_of(pipeline, m)["id"] for m in (first, second)}
    assert rows[ids[first]]["status"] == "failed" and rows[ids[first]]["attempts"] == 2
    for m in (first, second):
        row = draft_of(pipeline, m)
        assert row["status"] == "pending" and not row["options"]  # the template stands
    drafter.model.close()
    store.close()


def test_nothing_unsafe_is_approvable_even_when_stored_as_an_ai_option(desk):
    m = seed(desk, "@lumora my order never arrived", handle="casey")
    desk.draft_batch()
    row = draft_of(desk, m)
    bad = "Hi casey, get your replacement at http://lumora-claims.example.org/now ^Mia"
    with desk.store.atomic() as db:
        db.execute("UPDATE drafts SET options = ? WHERE id = ?",
                   [json.dumps([{"kind": "ai", "text": bad, "model": "m"}]), row["id"]])
    actions = Actions(desk.store, desk.settings, desk.clock)
    assert any("not in the knowledge base" in p for p in actions.problems(row["id"], bad))
    with pytest.raises(ActionRefused, match="not in the knowledge base"):
        actions.approve(row["id"], "ann", row["version"], bad)
    with pytest.raises(ActionRefused, match="not in the knowledge base"):
        actions.edit(row["id"], "ann", row["version"], bad)
    assert draft_of(desk, m)["status"] == "pending"


def test_the_audit_names_the_model_that_wrote_an_approved_reply(desk):
    m = seed(desk, "@lumora my order never arrived", handle="casey", name="Casey Ray")
    desk.draft_batch()
    desk.ai.run_batch(desk.store)
    row = draft_of(desk, m)
    text = row["options"][0]["text"]
    Actions(desk.store, desk.settings, desk.clock).approve(row["id"], "ann", 1, text)
    [approved] = audit.entries(desk.store, mention_id=m, action="approved")
    assert approved["note"] == "written by ai draft (sandbox-7b)" and approved["after"] == text
    stats = by_kind(drafts.outcomes(desk.store))
    assert {line["kind"]: (line["offered"], line["unedited"], line["passed_over"])
            for line in stats} == {"template": (1, 0, 1), "past": (0, 0, 0),
                                   "ai": (1, 1, 0)}


def test_acceptance_per_kind_counts_edits_rejections_and_passing_over():
    ai_option = {"kind": "ai", "text": "model words", "model": "m"}
    rows = [
        {"template": "t#0", "first_text": "tpl", "text": "tpl", "options": [ai_option],
         "status": "posted"},
        {"template": "t#0", "first_text": "tpl", "text": "model words!", "status": "posted",
         "options": [ai_option]},
        {"template": "t#0", "first_text": "tpl", "text": "tpl", "options": [ai_option],
         "status": "rejected"},
        {"template": "t#0", "first_text": "tpl", "text": "tpl", "options": [],
         "status": "approved"},
    ]
    lines = {line["kind"]: line for line in by_kind(rows)}
    assert (lines["ai"]["unedited"], lines["ai"]["edited"], lines["ai"]["rejected"],
            lines["ai"]["passed_over"], lines["ai"]["offered"]) == (0, 1, 1, 1, 3)
    assert (lines["template"]["unedited"], lines["template"]["offered"],
            lines["template"]["unedited_share"]) == (2, 4, 0.5)


def test_the_key_never_reaches_the_logs(desk, model, caplog):
    m = seed(desk, "@lumora my order never arrived", handle="casey")
    desk.draft_batch()
    with caplog.at_level(logging.DEBUG):
        for mode in ("error", "ok"):
            model.mode = mode
            desk.clock.advance(3600)
            desk.ai.run_batch(desk.store)
        model.key = "another-key"  # a 401: the reason must not carry ours
        m2 = seed(desk, "@lumora the app logs me out", handle="rio")
        desk.draft_batch()
        desk.ai.run_batch(desk.store)
    assert draft_of(desk, m)["options"][0]["kind"] == "ai"
    assert "refused (401)" in attempt(desk, draft_of(desk, m2)["id"])["reason"]
    assert KEY not in caplog.text and "sk-test" not in caplog.text
    dump = json.dumps([*desk.store.query("SELECT * FROM ai_drafts"),
                       *desk.store.query("SELECT * FROM audit")])
    assert KEY not in dump


def test_a_wrong_key_fails_no_draft_and_pauses_the_job_until_it_is_fixed(desk, model,
                                                                         caplog):
    """A 401 is the desk's setting, not the draft: before, every due draft was failed
    for good, one after another, by the same wrong key."""
    model.key = "another-key"
    mentions = [seed(desk, "@lumora my order never arrived", handle="casey"),
                seed(desk, "@lumora the app logs me out", handle="rio")]
    desk.draft_batch()
    first, second = (draft_of(desk, m)["id"] for m in mentions)
    with caplog.at_level(logging.ERROR):
        assert desk.ai.run_batch(desk.store) == 0
    assert "refused (401)" in caplog.text and "paused until" in caplog.text
    tried = [attempt(desk, d) for d in (first, second)]
    asked = [t for t in tried if t is not None]
    assert len(asked) == 1  # the job stopped at the first refusal
    assert asked[0]["status"] == "waiting" and asked[0]["attempts"] == 0
    desk.clock.advance(60)
    assert desk.ai.run_batch(desk.store) == 0  # still paused: nothing asked
    model.key = KEY  # the operator fixes the key
    desk.clock.advance(desk.settings.responder.ai.retry_max_seconds)
    assert desk.ai.run_batch(desk.store) == 2
    for m in mentions:
        assert draft_of(desk, m)["options"][0]["kind"] == "ai"


def test_poll_once_runs_the_ai_job_too_and_says_when_it_is_paused(desk, model):
    """`main.py poll --once` is "every stage once": an operator trying the AI settings
    sees the model's drafts (or why not) without starting the daemon."""
    m = seed(desk, "@lumora my order never arrived", handle="casey")
    out = io.StringIO()
    assert poll_once(desk, out, desk.ai) == 0
    assert "ai drafts  1 decided" in out.getvalue()
    assert draft_of(desk, m)["options"][0]["kind"] == "ai"
    model.key = "another-key"
    seed(desk, "@lumora the app logs me out", handle="rio")
    out = io.StringIO()
    poll_once(desk, out, desk.ai)
    assert "ai drafts  0 decided; paused until" in out.getvalue()


def test_safety_mentions_lead_with_the_safety_instruction_whoever_writes(desk, model):
    m = seed(desk, "@lumora my hub smells like burning plastic, scared to plug it back in",
             handle="casey", topic="defect")
    desk.draft_batch()
    # The greeting, then the safety instruction, then the rest (issue 20's lead used to
    # come before "Hi casey", which no agent would send as is).
    body = f"Hi casey, {LEAD[0].lower()}{LEAD[1:]} "
    assert draft_of(desk, m)["text"].startswith(body.replace("casey", "Casey"))  # template
    desk.ai.run_batch(desk.store)
    model_text = draft_of(desk, m)["options"][0]["text"]
    assert model_text.lower().startswith(body.lower())  # the model's, after its greeting
    assert LEAD in model.requests[-1]["body"]["messages"][0]["content"]
    # A model that forgets it still gets it right after its greeting, or first without one.
    assert ai.clean("Reply: \"Hi casey, sorry!\"", LEAD, ["Hi"]) == f"{body}Sorry!"
    assert ai.clean("Sorry about that!", LEAD, ["Hi"]) == f"{LEAD} Sorry about that!"
    # One that says it late has it moved up, never said twice.
    late = ai.clean(f"Hi casey, sorry! {LEAD}", LEAD, ["Hi"])
    assert late == f"{body}Sorry!" and late.lower().count("unplug") == 1


def test_a_brand_that_opts_out_never_reaches_the_model(tmp_path, model, embedder, clock):
    settings = settings_for(tmp_path, model)
    settings = settings.model_copy(update={"brands": [
        b.model_copy(update={"ai_drafts": False}) for b in settings.brands]})
    store = open_store(settings.app.database)
    pipeline = Pipeline(store=store, settings=settings, classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={}, clock=clock, embedder=embedder)
    seed_mention(store, clock, "@lumora my order never arrived", brand="Lumora")
    pipeline.draft_batch()
    drafter = AiDrafter(settings, pipeline.replies, clock)
    assert drafter.run_batch(store) == 0 and model.requests == []
    drafter.model.close()
    store.close()


def test_a_stalled_model_never_blocks_the_daemon(desk, model):
    from pipeline.daemon import build_scheduler

    jobs = {job.id for job in build_scheduler(desk, desk.ai).get_jobs()}
    assert {"draft", "ai_drafts", "triage", "publish"} <= jobs
    assert "ai_drafts" not in {job.id for job in build_scheduler(desk).get_jobs()}

    model.mode = "stall"
    first = seed(desk, "@lumora my order never arrived", handle="casey")
    desk.draft_batch()
    job = threading.Thread(target=desk.ai.run_batch, args=(desk.store,), daemon=True)
    job.start()
    assert model.arrived.wait(10)  # the model holds the request
    # Meanwhile the other stages work: drafting, an approval, publishing.
    second = seed(desk, "@lumora the app logs me out every hour", handle="rio")
    assert desk.draft_batch() == 1
    row = draft_of(desk, second)
    Actions(desk.store, desk.settings, desk.clock).approve(row["id"], "ann", 1)
    desk.publish_batch()
    assert job.is_alive()  # all of that while the model still thinks
    model.release.set()
    job.join(10)
    assert not job.is_alive()
    assert draft_of(desk, first)["options"][0]["kind"] == "ai"
    assert draft_of(desk, second)["status"] == "approved"


def test_the_draft_command_prints_ai_drafts(tmp_path, model, classifier, embedder,
                                            monkeypatch):
    monkeypatch.setenv("MENTIONDESK_AI_API_KEY", KEY)
    settings = settings_for(tmp_path, model)
    out = io.StringIO()
    clock = ManualClock()
    items = read_items(["@lumorahelp I was charged twice for Lumora Plus this month"],
                       "x", "Lumora", clock.now())
    draft_items(items, settings, classifier, embedder, out, clock)
    result = json.loads(out.getvalue())
    kinds = [d["kind"] for d in result["drafts"]]
    assert kinds[:2] == ["template", "ai"] and result["drafts"][1]["model"] == "sandbox-7b"
    model.mode = "password"
    out = io.StringIO()
    draft_items(items, settings, classifier, embedder, out, clock)
    result = json.loads(out.getvalue())
    assert [d["kind"] for d in result["drafts"]] == ["template"]
    assert "asks for password" in result["ai_not_offered"]


def test_ai_attempts_are_summarised_by_status_and_reason(desk, model):
    for i, mode in enumerate(("ok", "password", "long")):
        model.mode = mode
        seed(desk, f"@lumora order {i} never arrived, nobody answers my emails", handle=f"c{i}")
        desk.draft_batch()
        desk.ai.run_batch(desk.store)
    summary = ai_drafts.summary(desk.store)
    assert summary["by_status"] == {"offered": 1, "refused": 2}
    assert len(summary["latencies_ms"]) == 3
    assert any("asks for password" in reason for reason in summary["reasons"])
