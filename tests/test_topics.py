"""Topic by meaning: the configured topic closest to the mention, else general."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from config.settings import BrandSettings, Settings, TopicSettings
from pipeline.settings import load_settings as load
from sentiment.batch import Item, brand_terms, triage_items
from sentiment.classifier import Prediction
from sentiment.topics import TopicFinder, keyword_topics, sure_topic

TOPICS = [
    TopicSettings(name="delivery", description="Orders, shipping, couriers, tracking, parcels "
                  "that are late, lost or damaged.", keywords=["order", "parcel", "tracking"]),
    TopicSettings(name="account", description="Logging in, passwords, two-factor codes, "
                  "hacked or locked accounts.", keywords=["login", "password", "account"]),
    TopicSettings(name="defect", description="A device is faulty: bulbs flicker, buzz, "
                  "overheat, die or will not pair.", keywords=["flicker", "broken", "dead"]),
]


def test_meaning_finds_topics_keywords_miss(embedder):
    finder = TopicFinder(TOPICS, embedder.embed, 0.25)
    texts = ["the courier left my box at the wrong house",
             "I can't sign in, the app says my code is wrong",
             "the bulb hums loudly whenever I dim it",
             "what a lovely sunset over the harbour tonight"]
    assert keyword_topics(texts, TOPICS) == ["general"] * 4
    assert finder.topics_of(texts) == ["delivery", "account", "defect", "general"]


def fake_embed(texts: list[str]) -> np.ndarray:
    """Two directions: texts about boxes and everything else."""
    rows = [[1.0, 0.0] if "box" in t or "delivery" in t else [0.0, 1.0] for t in texts]
    return np.asarray(rows)


class Needy:
    name, version, thresholds = "needy", "1", {"needs_reply": 0.5}

    def classify(self, texts):
        return [Prediction("neutral", {"negative": 0.1, "neutral": 0.8, "positive": 0.1},
                           {"needs_reply": 0.9 if "?" in t else 0.1}) for t in texts]


def test_only_mentions_that_need_a_reply_or_complain_pay_for_a_meaning_topic():
    settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])],
                        topics=[TopicSettings(name="delivery", keywords=["parcel"])])
    finder = TopicFinder(list(settings.topics), fake_embed, 0.5)
    asked: list[list[str]] = []
    finder.embed = lambda texts: asked.append(list(texts)) or fake_embed(texts)
    items = [Item(text, settings.brands[0]) for text in (
        "@acme where is my box?", "@acme lovely box, thanks", "@acme my parcel?")]
    results = triage_items(items, Needy(), settings, finder)
    # The praise would be "delivery" by meaning; it needs nothing, so it keeps its
    # keyword topic (none) and is never embedded.
    assert [t.topic for _, t in results] == ["delivery", "general", "delivery"]
    assert asked == [["@acme where is my box?", "@acme my parcel?"]]


DEMO = load(Path(__file__).resolve().parent.parent / "config" / "demo.toml")
MAZE = ("Lumora support is a maze. 40 min on chat, got disconnected twice, still no refund "
        "for the hub I returned in MARCH. #customerservice #fail")
STRIP = ("Lumora strip half dead after 4 months\n\nFirst 2 meters work, everything after that "
         "is dark. Didn't cut it, didn't bend it hard. The warranty claim wants the original "
         "receipt, which I don't have because it was a gift. Great.")


def test_a_topic_is_sure_only_when_words_and_meaning_agree(embedder):
    finder = TopicFinder(TOPICS, embedder.embed, 0.25)
    courier = "the courier left my box at the wrong house"
    [guess] = finder.guesses([courier])
    assert guess.topic == "delivery" and guess.margin > 0.02
    # No keyword names a topic: the meaning decides, if it agrees and leads.
    assert sure_topic("delivery", courier, TOPICS, guess, 0.02) == "delivery"
    assert sure_topic("account", courier, TOPICS, guess, 0.02) == "general"
    assert sure_topic("delivery", courier, TOPICS, guess, guess.margin + 0.01) == "general"
    assert sure_topic("delivery", courier, TOPICS, None, 0.02) == "delivery"  # no encoder
    # Another topic's keywords ("password") make any other topic unsure; its own are sure.
    login = "the app keeps asking for my password again"
    assert sure_topic("delivery", login, TOPICS, guess, 0.0) == "general"
    assert sure_topic("account", "forgot my password", TOPICS, None, 0.02) == "account"
    assert sure_topic("general", courier, TOPICS, guess, 0.02) == "general"


def test_the_demos_refund_and_strip_complaints_name_no_wrong_problem(embedder):
    """Seen in the demo inbox: a refund complaint read as an outage by meaning (its chat
    "got disconnected") and billing by its words; a dead strip tagged billing."""
    topics = list(DEMO.topics)
    finder = TopicFinder(topics, embedder.embed, DEMO.triage.topic_min_similarity,
                         brand_terms(DEMO))
    maze, strip = finder.guesses([MAZE, STRIP])
    assert strip.topic == "defect"
    margin = DEMO.responder.template_topic_margin
    assert sure_topic(maze.topic, MAZE, topics, maze, margin) in ("general", "billing")
    assert sure_topic("outage", MAZE, topics, maze, margin) == "general"
    assert sure_topic("billing", STRIP, topics, strip, margin) == "general"


def test_keyword_prototypes_leave_the_brands_name_out():
    """"problem with Lumora Plus" is a third brand name: it drew every mention naming
    Lumora to billing. The description keeps its words."""
    seen: list[str] = []
    topic = TopicSettings(name="billing", description="Lumora Plus renewals.",
                          keywords=["Lumora Plus", "refund", "Lumora"])
    finder = TopicFinder([topic], lambda texts: seen.extend(texts) or fake_embed(texts), 0.5,
                         ["Lumora", "@lumorahelp"])
    finder.topics_of(["anything"])
    assert seen[:4] == ["billing: Lumora Plus renewals.", "problem with Plus",
                        "problem with refund", "problem with Lumora"]
