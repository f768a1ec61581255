"""Topic by meaning: the configured topic closest to the mention, else general."""

from __future__ import annotations

import numpy as np

from config.settings import BrandSettings, Settings, TopicSettings
from sentiment.batch import Item, triage_items
from sentiment.classifier import Prediction
from sentiment.topics import TopicFinder, keyword_topics

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
