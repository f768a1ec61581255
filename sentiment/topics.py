"""Topic by meaning: the configured topic closest to a mention in a sentence space.

Each topic is described by its name, its description and its keywords; a mention goes
to the topic whose description (or closest keyword) is most similar to it, or to
``general`` below a minimum similarity. "How do I reset a bulb" lands in *account* by
keywords ("reset") but in *defect* by meaning when the topics say what they cover.
The embedding function is injected (``sentiment.embedding``), so this stays pure.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from config.settings import TopicSettings
from sentiment.triage import GENERAL_TOPIC, topic_of

Embed = Callable[[list[str]], np.ndarray]  # (texts x width), unit-length rows


class TopicFinder:
    """Topics embedded once; each batch of mentions costs one ``embed`` call.

    A topic is a handful of prototypes: its name with its description, and "problem
    with <keyword>" per keyword (phrased like a mention, which embeds closer to real
    mentions than a bare word). Its score for a text is the mean of its three most
    similar prototypes (one lucky keyword does not win alone). On the labelled set in
    ``sentiment/labels/topics.tsv`` this beat bare keywords, the description alone and
    the single best prototype (docs/model.md).
    """

    TOP = 3

    def __init__(self, topics: list[TopicSettings], embed: Embed, min_similarity: float
                 ) -> None:
        self.names = [t.name for t in topics]
        self.embed = embed
        self.min_similarity = min_similarity
        self._topics, self._embed_prototypes = list(topics), embed

    @functools.cached_property
    def _prototypes(self) -> list[np.ndarray]:
        """Each topic's prototype vectors, embedded once at the first batch rather than
        at start-up (the first encoder run warms ONNX Runtime: ~1 s the daemon need not
        wait for before it says it is running)."""
        return [
            np.asarray(self._embed_prototypes([f"{t.name}: {t.description}".strip(" :"),
                                               *(f"problem with {k}" for k in t.keywords)]))
            for t in self._topics
        ]  # fmt: skip

    def topics_of(self, texts: list[str]) -> list[str]:
        """One topic per text: the best-scoring topic, or ``general`` below the minimum."""
        if not self._prototypes or not texts:
            return [GENERAL_TOPIC for _ in texts]
        vectors = np.asarray(self.embed(texts))
        scores = np.stack([
            np.sort(vectors @ p.T, axis=1)[:, -self.TOP:].mean(axis=1) for p in self._prototypes
        ], axis=1)  # fmt: skip
        best = scores.argmax(axis=1)
        return [self.names[j] if scores[i, j] >= self.min_similarity else GENERAL_TOPIC
                for i, j in enumerate(best)]


def read_topic_set(path: Path) -> list[tuple[str, str]]:
    """(topic, text) pairs from a ``topic<TAB>text`` file with a header line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()[1:]
    return [(t, x) for t, x in (line.split("\t", 1) for line in lines if line.strip())]


def topic_accuracy(pairs: list[tuple[str, str]], predicted: list[str]) -> float:
    """Top-1 accuracy; the set's ``general`` matches our ``general``."""
    hits = sum(gold == guess for (gold, _), guess in zip(pairs, predicted, strict=True))
    return hits / len(pairs) if pairs else 0.0


def keyword_topics(texts: list[str], topics: list[TopicSettings]) -> list[str]:
    return [topic_of(text, topics) for text in texts]
