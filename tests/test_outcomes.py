"""Outcomes of answered conversations: the decision on real follow-ups, the daemon job's
queue changes on a real SQLite store, the one-click corrections, and the metrics'
arithmetic and drill-down (docs/outcomes-guide.md)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from datetime import timedelta

import pytest

from core.clock import ManualClock
from metrics import outcomes as outcome_metrics
from metrics.period import Period
from pipeline.actions import Actions
from pipeline.outcomes import decide_outcomes
from sentiment.outcome_labels import follow_ups, join, read_labels
from sentiment.outcomes import Exchange, OutcomeDecider, rule_hits
from sentiment.train_outcomes import split_of
from store import drafts, inbox, listing, mentions
from store import outcomes as outcome_store
from tests.support.actions import desk_settings, seed
from tests.support.outcomes import AGENT, answer_reply, conversation_keys, post_reply


@pytest.fixture(scope="module")
def decider(embedder):
    return OutcomeDecider.load(embedder)


# --- the labels --------------------------------------------------------------------

def test_at_least_600_follow_ups_are_labelled_from_real_care_traffic():
    labelled = join()
    assert len(labelled) >= 600
    assert {x.outcome for x in labelled} == {"resolved", "open", "escalated"}
    assert {x.satisfaction for x in labelled} == {"satisfied", "neutral", "dissatisfied"}
    # Handles are masked: the model never sees which company or person it was.
    handles = {h for x in labelled for h in re.findall(r"@\w+", x.follow_up.text)}
    assert handles == {"@brand", "@user"}


def test_labels_are_the_first_of_the_fixed_order():
    keys = [f.key for f in follow_ups()]
    assert set(read_labels()) == set(keys[:len(read_labels())])


def test_splits_hold_out_whole_brands():
    by_brand: dict[str, set[str]] = {}
    for x in join():
        by_brand.setdefault(x.follow_up.brand, set()).add(split_of(x.follow_up.brand))
    assert all(len(splits) == 1 for splits in by_brand.values())
    assert Counter(s for splits in by_brand.values() for s in splits)["test"] >= 10


# --- the decision ------------------------------------------------------------------

def test_an_answer_to_our_question_is_never_a_closure(decider):
    [d] = decider.decide([Exchange(customer="PS4",
                                   reply="Sorry about that! Which platform are you on?")])
    assert d.outcome == "open"


@pytest.mark.parametrize("customer", [
    "tried that, still broken", "Thanks, but it still crashes every time",
    "That didn't work either", "Not fixed. Same error as yesterday",
])
def test_still_broken_is_open(decider, customer):
    [d] = decider.decide([Exchange(customer=customer, reply="Please restart the app.")])
    assert d.outcome == "open"
    assert d.reason == "still not working after our reply"


@pytest.mark.parametrize("customer", ["That fixed it, thank you so much!",
                                      "Sorted now, thanks for the quick help"])
def test_thanks_for_a_fix_closes(decider, customer):
    [d] = decider.decide([Exchange(customer=customer, reply="Please restart the router.",
                                   first="my internet is down again, so annoying")])
    assert d.outcome == "resolved"
    assert d.satisfaction == "satisfied" and d.satisfaction_score > 4
    assert d.sentiment_change is not None and d.sentiment_change > 0.5
    assert d.words  # the evidence: which words closed it


def test_moving_to_a_private_channel_is_escalated(decider):
    [d] = decider.decide([Exchange(customer="Done, just sent you a DM",
                                   reply="Could you DM us your order number?")])
    assert d.outcome == "escalated"


def test_a_negated_fix_is_not_a_fix():
    hits = rule_hits("it is not fixed at all")
    assert hits["fixed"] == [] and "negated fix" in hits["still_broken"]
    assert rule_hits("it stopped working again")["fixed"] == []


@pytest.mark.parametrize("customer", ["It's working again, thanks!",
                                      "Up and running again! Thx!",
                                      "never mind, I found it"])
def test_a_fix_phrased_with_a_still_broken_word_closes(decider, customer):
    # "again" and "never" usually mean still broken; inside "working again" or
    # "never mind" they are the customer closing the conversation.
    [d] = decider.decide([Exchange(customer=customer, reply="Please restart the app.")])
    assert d.outcome == "resolved"


@pytest.mark.parametrize("customer", ["It stopped working again",
                                      "Never mind, it's still broken"])
def test_the_same_words_around_a_failure_stay_open(decider, customer):
    [d] = decider.decide([Exchange(customer=customer, reply="Please restart the app.")])
    assert d.outcome == "open"


# --- main.py outcome ---------------------------------------------------------------

def test_outcome_command_answers_every_line_in_order(tmp_path, capsys):
    import main

    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([
        json.dumps({"reply": "Which platform?", "customer": "PS4"}),
        "not json",
        json.dumps({"reply": "Try again now", "customer": "Works now, thanks!",
                    "first": "app keeps crashing"}),
    ]) + "\n", encoding="utf-8")
    assert main.main(["outcome", str(path)], ManualClock()) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("outcome") for o in out] == ["open", None, "resolved"]
    assert "error" in out[1]
    assert set(out[2]) >= {"outcome", "satisfaction", "scores", "reason", "sentiment_change"}
    assert out[0]["sentiment_change"] is None and out[2]["sentiment_change"] is not None
    assert abs(sum(out[2]["scores"].values()) - 1) < 1e-3


# --- the job on a real store -------------------------------------------------------

@pytest.fixture
def desk(tmp_path, store):
    clock = ManualClock()
    return store, clock, desk_settings(tmp_path)


def test_still_broken_goes_back_to_the_top_of_the_agents_queue(desk, decider):
    store, clock, settings = desk
    first, _, posted = post_reply(store, clock)
    conv_id, key = conversation_keys(store, first)
    follow = answer_reply(store, clock, posted, conv_id, "tried that, still not working",
                     needs=False)
    fresh, _ = seed(store, clock, "URGENT my device caught fire", "So sorry", handle="dana",
                    priority=1.0)
    counts = decide_outcomes(store, decider, settings, clock.now())
    assert counts["open"] == 1 and counts["reopened"] == 1
    row = outcome_store.get(store, key)
    assert row["outcome"] == "open" and row["evidence_mention_id"] == follow
    assert row["reason"] == "still not working after our reply"
    assert set(row["probabilities"]) == {"resolved", "open", "escalated"}
    assert row["satisfaction"] in ("neutral", "dissatisfied")
    m = mentions.get(store, follow)
    assert m["status"] == "needs_reply" and m["claimed_by"] == AGENT
    assert m["reason"] == "still not working after our reply"
    # Drafted, it ranks above a fresh mention of the highest triage priority.
    drafts.create(store, follow, "Sorry to hear that", clock.now())
    ranking = inbox.Ranking(clock.now(), 60, 0.2)
    top = inbox.queue(store, {}, ranking, limit=2)
    assert [r["mention_id"] for r in top] == [follow, fresh]
    # Nothing changes on a second run: the evidence was judged.
    assert decide_outcomes(store, decider, settings, clock.now()) == {}


def test_thanks_closes_and_needs_no_reply_unless_it_asks(desk, decider):
    store, clock, settings = desk
    first, _, posted = post_reply(store, clock)
    conv_id, key = conversation_keys(store, first)
    thanks = answer_reply(store, clock, posted, conv_id, "That fixed it, thank you so much!")
    draft_id = drafts.create(store, thanks, "You're welcome!", clock.now())
    decide_outcomes(store, decider, settings, clock.now())
    assert outcome_store.get(store, key)["outcome"] == "resolved"
    assert mentions.get(store, thanks)["status"] == "no_action"
    draft = store.query("SELECT status, note FROM drafts WHERE id = ?", [draft_id])[0]
    assert draft == {"status": "rejected", "note": outcome_store.CLOSED_NOTE}
    assert mentions.reopen_answers(store) == 0  # the follow-up rule leaves it closed
    assert all(o["status"] != "rejected" for o in drafts.outcomes(store))
    # The customer writes again, asking something: re-decided and back in the queue.
    again = answer_reply(store, clock, posted, conv_id, "Actually, how do I turn off updates?",
                    needs=False)
    decide_outcomes(store, decider, settings, clock.now())
    row = outcome_store.get(store, key)
    assert row["outcome"] == "open" and row["evidence_mention_id"] == again
    assert mentions.get(store, again)["status"] == "needs_reply"


def test_no_answer_only_after_the_wait(desk, decider):
    store, clock, settings = desk
    assert settings.pipeline.outcome_wait_hours == 48
    first, _, _ = post_reply(store, clock)
    _, key = conversation_keys(store, first)
    clock.advance(hours=47, minutes=59)
    assert decide_outcomes(store, decider, settings, clock.now()) == {}
    assert outcome_store.get(store, key) is None
    clock.advance(minutes=2)
    assert decide_outcomes(store, decider, settings, clock.now()) == {
        "no_answer": 1, "reopened": 0, "closed": 0}
    row = outcome_store.get(store, key)
    assert row["outcome"] == "no_answer" and row["evidence_mention_id"] is None
    assert row["satisfaction"] is None
    clock.advance(hours=100)
    assert decide_outcomes(store, decider, settings, clock.now()) == {}


def test_a_correction_is_stored_with_the_texts_and_acted_on(desk, decider):
    store, clock, settings = desk
    first, _, posted = post_reply(store, clock, reply="Please restart the router.")
    conv_id, key = conversation_keys(store, first)
    thanks = answer_reply(store, clock, posted, conv_id, "Thanks, all good now!")
    decide_outcomes(store, decider, settings, clock.now())
    assert outcome_store.get(store, key)["outcome"] == "resolved"
    actions = Actions(store, settings, clock)
    done = actions.correct_outcome(key, "bob", outcome="open", satisfaction="dissatisfied")
    assert "open" in done.message and "predicted satisfaction" in done.message
    row = outcome_store.get(store, key)
    assert (row["outcome"], row["model_outcome"], row["decided_by"]) == ("open", "resolved",
                                                                           "bob")
    assert row["satisfaction"] == "dissatisfied" and row["satisfaction_score"] == 1.0
    fixes = outcome_store.corrections(store)
    assert [(f["field"], f["model_value"], f["value"]) for f in fixes] == [
        ("outcome", "resolved", "open"), ("satisfaction", "satisfied", "dissatisfied")]
    assert fixes[0]["reply"] == "Please restart the router."
    assert fixes[0]["customer"] == "Thanks, all good now!" and fixes[0]["actor"] == "bob"
    assert mentions.get(store, thanks)["status"] == "needs_reply"
    assert actions.correct_outcome(key, "bob", outcome="open").message.startswith("No change")
    audit = store.query("SELECT actor FROM audit WHERE action = 'outcome corrected'")
    assert [a["actor"] for a in audit] == ["bob", "bob"]


# --- metrics -----------------------------------------------------------------------

ROWS = [  # outcome, replies, satisfaction, score, change, agent
    ("resolved", 1, "satisfied", 5.0, 1.0, "alice"),
    ("resolved", 2, "satisfied", 4.0, 0.5, "bob"),
    ("open", 1, "dissatisfied", 1.5, -0.5, "alice"),
    ("escalated", 1, "neutral", 3.0, None, "alice"),
    ("no_answer", 1, None, None, None, "bob"),
]


def _fact_rows():
    return [{"outcome": o, "replies": r, "satisfaction": s, "satisfaction_score": sc,
             "sentiment_change": c, "agent": a} for o, r, s, sc, c, a in ROWS]


def test_metrics_arithmetic_on_a_hand_computed_case():
    k = outcome_metrics.summarise(_fact_rows())
    assert k.conversations == 5 and k.resolution_rate == 0.4  # 2 of 5
    assert k.first_contact_rate == 0.2  # 1 of 5: resolved after one reply
    assert k.rated == 4 and k.csat_share == 0.5  # 2 of the 4 who wrote
    assert k.csat_mean == pytest.approx((5 + 4 + 1.5 + 3) / 4, abs=1e-3)
    assert k.changes == 3 and k.net_sentiment_change == pytest.approx(1 / 3, abs=1e-3)
    per_agent = dict(outcome_metrics.breakdown(_fact_rows(), "agent"))
    assert per_agent["alice"].conversations == 3 and per_agent["alice"].resolution_rate == \
        pytest.approx(1 / 3, abs=1e-4)
    assert per_agent["bob"].resolution_rate == 0.5 and per_agent["bob"].first_contact == 0
    assert all("predicted" in line for line in outcome_metrics.lines(k) if "CSAT" in line)


def test_drill_down_counts_equal_the_rates_denominators(desk, decider):
    store, clock, settings = desk
    for i, answer in enumerate(["Thanks, works now!", "still broken", None]):
        first, _, posted = post_reply(store, clock, handle=f"c{i}")
        conv_id, _ = conversation_keys(store, first)
        if answer:
            answer_reply(store, clock, posted, conv_id, answer, handle=f"c{i}")
    clock.advance(hours=49)
    decide_outcomes(store, decider, settings, clock.now())
    day = clock.now().date()
    period = Period(day - timedelta(days=3), day)
    kpis = outcome_metrics.outcome_kpis(store, period)
    assert (kpis.conversations, kpis.resolved, kpis.no_answer, kpis.rated) == (3, 1, 1, 2)
    since, until = outcome_metrics.bounds(period)
    base = {"since": since, "until": until}
    assert listing.count(store, {**base, "outcome": "any"}) == kpis.conversations
    assert listing.count(store, {**base, "outcome": "resolved"}) == kpis.resolved
    assert listing.count(store, {**base, "csat": "any"}) == kpis.rated
    assert listing.count(store, {**base, "first_contact": "1"}) == kpis.first_contact
    by_agent = dict(outcome_metrics.breakdown(outcome_metrics.facts(store, period), "agent"))
    assert listing.count(store, {**base, "outcome": "any", "agent": AGENT}) == \
        by_agent[AGENT].conversations


def test_report_shows_outcomes_with_sample_sizes(make_settings, tmp_path, capsys, decider):
    import main
    from store.schema import open_store

    settings = make_settings()
    store = open_store(settings.app.database)
    clock = ManualClock()
    first, _, posted = post_reply(store, clock, handle="erin")
    conv_id, _ = conversation_keys(store, first)
    answer_reply(store, clock, posted, conv_id, "Works now, thank you!", handle="erin")
    post_reply(store, clock, handle="finn")
    clock.advance(hours=49)
    decide_outcomes(store, decider, settings, clock.now())
    store.close()
    day = clock.now().date().isoformat()
    args = ["--config", str(tmp_path / "config.toml"), "report", "--outcomes",
            "--since", "2026-11-20", "--until", day]
    assert main.main([*args, "--format", "json"], clock) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"]["conversations"] == 2 and data["overall"]["resolution_rate"] == 0.5
    assert data["overall"]["predicted_csat_n"] == 1
    assert [(r["agent"], r["conversations"]) for r in data["by_agent"]] == [(AGENT, 2)]
    assert main.main(args, clock) == 0
    text = capsys.readouterr().out
    assert "Resolution rate: 50.0% (n=2)" in text and "Predicted CSAT (predicted" in text

    # CSV: one flat table of numbers, overall first (it printed the text table instead).
    assert main.main([*args, "--format", "csv"], clock) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    overall = exported[0]
    assert (overall["breakdown"], overall["value"]) == ("overall", "")
    assert (overall["conversations"], overall["resolution_rate"]) == ("2", "0.5")
    assert overall["predicted_csat_n"] == "1"
    assert [(r["value"], r["conversations"]) for r in exported
            if r["breakdown"] == "agent"] == [(AGENT, "2")]
    assert {r["breakdown"] for r in exported} == {"overall", "topic", "template", "agent",
                                                   "platform"}


def test_the_blind_chunk_is_labelled_apart_from_the_training_labels():
    from sentiment.outcome_labels import BLIND_FILE

    blind = read_labels(BLIND_FILE)
    assert len(blind) == 110 and not set(blind) & set(read_labels())
    assert len(blind) + len(read_labels()) >= 770


def test_the_daemon_runs_an_outcomes_job(tmp_path, store):
    from pipeline.daemon import build_scheduler
    from pipeline.jobs import Pipeline
    from tests.support import Grumpy

    pipeline = Pipeline(store=store, settings=desk_settings(tmp_path), classifier=Grumpy(),
                        sources={}, publishers={}, clock=ManualClock())
    jobs = {job.id: job for job in build_scheduler(pipeline).get_jobs()}
    assert "outcomes" in jobs
    assert jobs["outcomes"].trigger.interval == timedelta(seconds=60)


def test_agents_corrections_become_training_examples():
    import numpy as np

    from sentiment.train_outcomes import from_corrections, train_head

    rows = [
        {"conversation": "x:1", "field": "outcome", "value": "resolved", "customer": "ok ty",
         "reply": "Try again"},
        {"conversation": "x:1", "field": "outcome", "value": "open", "customer": "ok ty",
         "reply": "Try again"},  # the later click wins
        {"conversation": "x:2", "field": "satisfaction", "value": "dissatisfied",
         "customer": "meh", "reply": ""},
        {"conversation": "x:3", "field": "outcome", "value": "no_answer", "customer": "",
         "reply": "Hi"},  # silence teaches the text head nothing
    ]
    examples = from_corrections(rows)
    assert [(e.customer, e.outcome, e.satisfaction) for e in examples] == [
        ("ok ty", "open", None), ("meh", None, "dissatisfied")]
    # A field nobody corrected (-1) is left out of that layer only.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 4)).astype(np.float32)
    head = train_head(x, np.array([0, 1, 2] * 3), np.array([0, 1, 2, -1, -1, -1, 0, 1, 2]),
                      1.0, 0.5, "t")
    assert head.outcome_w.shape == (4, 3) and head.satisfaction_w.shape == (4, 3)


def test_the_daily_digest_names_the_outcomes_and_says_predicted(desk, decider):
    from pipeline.jobs import refresh_metrics
    from pipeline.reporting import build_digest

    store, clock, settings = desk
    first, _, posted = post_reply(store, clock)
    conv_id, _ = conversation_keys(store, first)
    answer_reply(store, clock, posted, conv_id, "Works now, thanks a lot!")
    decide_outcomes(store, decider, settings, clock.now())
    refresh_metrics(store, clock.now(), 60)
    digest = build_digest(store, settings, "Acme", clock.now().date())
    text, page = digest.text(), html.unescape(digest.html())
    assert "Resolution rate: 100.0% (n=1)" in text
    assert "Predicted CSAT (predicted from the customer's words, not a survey)" in page


def test_outcome_lines_say_no_data_without_a_sample():
    """The report's and digest's lines: "no data" where a figure has no sample (they
    read "Resolution rate: - (n=0)" and "- satisfied, mean predicted score -/5")."""
    empty = outcome_metrics.lines(outcome_metrics.OutcomeKpis())
    assert empty[1:] == [
        "Resolution rate: no data (n=0)",
        "First-contact resolution: no data (n=0)",
        "Predicted CSAT (predicted from the customer's words, not a survey): no data (n=0)",
        "Net sentiment change: no data (n=0)"]
    some = outcome_metrics.lines(outcome_metrics.OutcomeKpis(
        conversations=2, resolved=1, rated=1, satisfied=1, score_sum=4.5, changes=1,
        change_sum=0.5))
    assert some[1:] == [
        "Resolution rate: 50.0% (n=2)", "First-contact resolution: 0.0% (n=2)",
        "Predicted CSAT (predicted from the customer's words, not a survey): 100.0% "
        "satisfied, mean predicted score 4.50/5 (n=1)",
        "Net sentiment change: +0.50 (n=1)"]


def test_the_report_tables_say_no_data_where_a_breakdown_has_no_sample():
    """`report --outcomes` (text): an agent none of whose customers wrote back has no
    predicted CSAT and no mean score; the row said "-" there while the lines above it
    said "no data", so one screen spoke two ways of one thing."""
    rows = [{**row, "topic": "billing", "template": "", "platform": "x"}
            for row in _fact_rows()]
    rows.append({"outcome": "no_answer", "replies": 1, "satisfaction": "",
                 "satisfaction_score": None, "sentiment_change": None, "agent": "cleo",
                 "topic": "billing", "template": "", "platform": "x"})
    lines = outcome_metrics.table(rows).splitlines()
    cleo = next(line for line in lines if line.startswith("cleo"))
    assert cleo.split() == ["cleo", "1", "0.0%", "0.0%", "no", "data", "0", "no", "data"]
    alice = next(line for line in lines if line.startswith("alice"))
    assert alice.split()[-1] == "3.17"  # (5 + 1.5 + 3) / 3: a figure stays a figure
