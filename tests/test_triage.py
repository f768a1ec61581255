"""Triage rules: need is not tone; priority keeps its factors."""

from __future__ import annotations

from config.settings import TopicSettings, TriageSettings
from sentiment.classifier import Prediction
from sentiment.triage import Context, is_question, topic_of, triage

TOPICS = [TopicSettings(name="delivery", keywords=["order", "parcel"]),
          TopicSettings(name="outage", keywords=["down", "outage"])]


def pred(label: str, negative: float = 0.1) -> Prediction:
    scores = {"negative": negative, "neutral": 0.0, "positive": 0.0}
    scores[label] = max(scores[label], 1 - negative) if label != "negative" else negative
    return Prediction(label=label, scores=scores)


def run(text, prediction, addressed=True, followers=10, age=0.0):
    return triage(text, prediction, Context(addressed, followers, age), TOPICS,
                  TriageSettings(), 60)


def test_neutral_question_to_the_brand_needs_a_reply():
    t = run("@acme why hasn't my order shipped?", pred("neutral"))
    assert (t.needs_reply, t.reason, t.complaint, t.topic) == (True, "question", False,
                                                               "delivery")


def test_praise_needs_no_reply_but_offers_an_optional_thanks():
    t = run("love you guys @acme", pred("positive"))
    assert (t.needs_reply, t.optional, t.reason) == (False, True, "praise")
    assert t.priority < 0.1


def test_complaint_needs_a_reply_even_when_not_addressed():
    t = run("acme lost my parcel again, useless", pred("negative", 0.9), addressed=False)
    assert t.needs_reply and t.complaint and t.reason == "complaint"


def test_spam_needs_nothing():
    assert not run("@acme crypto giveaway!! follow back", pred("negative", 0.8)).needs_reply


def test_question_not_addressed_to_the_brand_needs_nothing():
    assert not run("anyone know if acme bulbs are good?", pred("neutral"),
                   addressed=False).needs_reply


def test_priority_rises_with_negativity_reach_urgency_and_waiting():
    calm = run("@acme my order is late", pred("negative", 0.6))
    loud = run("@acme outage again, refund me", pred("negative", 0.95), followers=200_000,
               age=120)
    assert loud.priority > calm.priority
    assert loud.factors == {"negativity": 0.95, "reach": 1.0, "urgency": 1.0, "waiting": 1.0}
    assert loud.priority == 0.98


def test_question_detection_and_topic():
    assert is_question("@acme How do I reset it", ["how"])
    assert not is_question("@acme thanks", ["how"])


def test_a_leading_question_word_that_opens_an_exclamation_asks_nothing():
    words = ["how", "what", "is", "why"]
    assert not is_question("@acme What an awesome flight Dallas 2 NY. Thanks!", words)
    assert not is_question("@acme is my favorite airline!  can't wait to book", words)
    assert not is_question("@acme how cool is that. best crew", words)
    # A question without its mark still is one, and a question mark always counts.
    assert is_question("@acme what happened to my order", words)
    assert is_question("@acme is my order lost. no update since monday", words)
    assert is_question("@acme What a mess, why is it late?", words)
    assert topic_of("servers down?", TOPICS) == "outage"
    assert topic_of("nice weather", TOPICS) == "general"
