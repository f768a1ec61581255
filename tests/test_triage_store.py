"""Triage as the daemon stores it: new fields, thread roles, the model version per row."""

from __future__ import annotations

import json

from listener.platforms import build_publisher, build_source
from pipeline.jobs import Pipeline
from sentiment.classifier import Prediction
from store import drafts
from store.schema import open_store
from tests.support import mention_line

THRESHOLDS = {"needs_reply": 0.4, "complaint": 0.5, "spam": 0.5, "sarcasm": 0.5}


class Unsure:
    """A stand-in model with heads: every text a little likely to need a reply (0.2,
    under its own 0.4 threshold, over triage's lowered 0.15)."""

    name = "unsure"
    thresholds = THRESHOLDS

    def __init__(self, version: str) -> None:
        self.version = version

    def classify(self, texts):
        return [Prediction("neutral", {"negative": 0.2, "neutral": 0.7, "positive": 0.1},
                           {"needs_reply": 0.2, "complaint": 0.1, "spam": 0.0, "sarcasm": 0.0})
                for _ in texts]


def author(handle: str) -> dict:
    return {"id": f"u-{handle}", "handle": handle, "name": "", "followers": 50,
            "verified": False}


LINES = [
    mention_line("p1", "@lumora my order never arrived, where is it", author=author("ann")),
    mention_line("c1", "mine too, my lumora box is a week late", author=author("bob"),
                 in_reply_to_id="p1", conversation_id="p1", kind="comment"),
    # Answers our reply to p1 (the sink names our first posted reply sink-1).
    mention_line("a1", "still nothing after the reset, lumora", offset=100,
                 author=author("ann"), in_reply_to_id="sink-1", conversation_id="p1"),
]


def test_roles_language_heads_and_model_version_are_stored(make_settings, clock):
    settings = make_settings(LINES)
    pipeline = Pipeline(
        store=open_store(settings.app.database), settings=settings, classifier=Unsure("v1"),
        sources={s.name: build_source(s, settings, clock) for s in settings.sources},
        publishers={s.name: build_publisher(s, settings, clock) for s in settings.sources},
        clock=clock,
    )
    pipeline.run_once()
    store = pipeline.store
    for d in drafts.pending(store, limit=10):
        drafts.approve(store, d["draft_id"], "ann", d["version"], clock.now())
    clock.advance(10)  # the undo window passes
    assert pipeline.publish_batch() == 1

    pipeline.classifier = Unsure("v2")  # a retrained model is deployed
    clock.advance(91)
    pipeline.run_once()

    rows = {r["platform_id"]: r for r in store.query(
        "SELECT m.platform_id, t.* FROM triage t JOIN mentions m ON m.id = t.mention_id")}
    assert {k: rows[k]["role"] for k in rows} == {"p1": "original", "c1": "bystander",
                                                 "a1": "customer"}
    # The original report asks for help and the customer answers us: both pass the
    # lowered bar; the bystander's "mine too" shows no help word and stays under it.
    assert {k: rows[k]["needs_reply"] for k in rows} == {"p1": 1, "c1": 0, "a1": 1}
    # "still nothing after the reset" holds no word that asks: the thread and the model
    # queue it, and the reason says no more than that.
    assert rows["a1"]["reason"] == "expects a reply, answering our reply"
    assert {k: rows[k]["model_version"] for k in rows} == {"p1": "v1", "c1": "v1", "a1": "v2"}
    assert rows["p1"]["language"] == "en" and rows["p1"]["spam"] == 0
    assert json.loads(rows["p1"]["heads"])["needs_reply"] == 0.2
    assert json.loads(rows["p1"]["rules"])["help"] == ["never arrived"]
