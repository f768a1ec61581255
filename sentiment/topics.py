"""Topic by meaning: the configured topic closest to a mention in a sentence space.

Each topic is described by its name, its description and its keywords; a mention goes
to the topic whose description (or closest keyword) is most similar to it, or to
``general`` below a minimum similarity. "How do I reset a bulb" lands in *account* by
keywords ("reset") but in *defect* by meaning when the topics say what they cover.
The embedding function is injected (``sentiment.embedding``), so this stays pure.

A topic is a best guess; a draft that names a problem needs more than that.
``sure_topic`` says when the topic is sure enough to pick that topic's own template:
the message's keywords do not name another topic, and the meaning leads the next topic
by a margin (docs/responder.md: "no refund for the hub I returned" read as an outage by
meaning and as billing by its words gets a general reply, not "sorry your lights...").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config.settings import TopicSettings
from sentiment.triage import GENERAL_TOPIC, topic_of

Embed = Callable[[list[str]], np.ndarray]  # (texts x width), unit-length rows


@dataclass(frozen=True)
class TopicGuess:
    """A text's topic by meaning and how far it leads: a narrow lead is a coin toss
    between two topics (on the care texts, a lead under 0.02 was right 33 % of the time,
    over 0.15 89 %), which a draft naming the problem must not bet on."""

    topic: str  # the best topic, or ``general`` under the minimum similarity
    score: float  # the best topic's score
    margin: float  # its lead over the second topic's score (1.0 with one topic)


class TopicFinder:
    """Topics embedded once; each batch of mentions costs one ``embed`` call.

    A topic is a handful of prototypes: its name with its description, and "problem
    with <keyword>" per keyword (phrased like a mention, which embeds closer to real
    mentions than a bare word). Its score for a text is the mean of its three most
    similar prototypes (one lucky keyword does not win alone). On the labelled set in
    ``sentiment/labels/topics.tsv`` this beat bare keywords, the description alone and
    the single best prototype (docs/model.md).

    A keyword prototype leaves out the brand's own names (``brand_terms``): in three
    words, "problem with Lumora Plus" is a third "Lumora", so it was near every mention
    that names the brand ("lumora bulbs r junk dont buy", "Lumora strip half dead" went
    to billing); "problem with Plus" keeps what the keyword is about. A description may
    name the brand's products ("the Lumora Plus subscription"): in a sentence the name
    is context, not a third of the meaning.
    """

    TOP = 3

    def __init__(self, topics: list[TopicSettings], embed: Embed, min_similarity: float,
                 brand_terms: Sequence[str] = ()) -> None:
        self.names = [t.name for t in topics]
        self.embed = embed
        self.min_similarity = min_similarity
        self._topics, self._embed_prototypes = list(topics), embed
        self._brand = (re.compile(r"(?<!\w)(?:" + "|".join(
            re.escape(t.lstrip("@")) for t in sorted(brand_terms, key=len, reverse=True))
            + r")(?!\w)", re.IGNORECASE) if brand_terms else None)

    def _about(self, keyword: str) -> str:
        """The keyword without the brand's names ("Lumora Plus" -> "Plus"), or as it is
        when nothing else is left."""
        bare = " ".join(self._brand.sub(" ", keyword).split()) if self._brand else keyword
        return bare or keyword

    @functools.cached_property
    def _prototypes(self) -> list[np.ndarray]:
        """Each topic's prototype vectors, embedded once at the first batch rather than
        at start-up (the first encoder run warms ONNX Runtime: ~1 s the daemon need not
        wait for before it says it is running)."""
        return [
            np.asarray(self._embed_prototypes([
                f"{t.name}: {t.description}".strip(" :"),
                *(f"problem with {self._about(k)}" for k in t.keywords)]))
            for t in self._topics
        ]  # fmt: skip

    def topics_of(self, texts: list[str]) -> list[str]:
        """One topic per text: the best-scoring topic, or ``general`` below the minimum."""
        return [guess.topic for guess in self.guesses(texts)]

    def guesses(self, texts: list[str]) -> list[TopicGuess]:
        """Per text, its topic (as ``topics_of``), score and lead over the next topic."""
        if not self._prototypes or not texts:
            return [TopicGuess(GENERAL_TOPIC, 0.0, 0.0) for _ in texts]
        vectors = np.asarray(self.embed(texts))
        scores = np.stack([
            np.sort(vectors @ p.T, axis=1)[:, -self.TOP:].mean(axis=1) for p in self._prototypes
        ], axis=1)  # fmt: skip
        ranked = np.sort(scores, axis=1)
        margins = ranked[:, -1] - ranked[:, -2] if scores.shape[1] > 1 else np.ones(len(texts))
        out = []
        for i, j in enumerate(scores.argmax(axis=1)):
            score = float(scores[i, j])
            topic = self.names[j] if score >= self.min_similarity else GENERAL_TOPIC
            out.append(TopicGuess(topic, score, float(margins[i])))
        return out


def sure_topic(topic: str, text: str, topics: list[TopicSettings], guess: TopicGuess | None,
               min_margin: float) -> str:
    """``topic`` when a reply may name it, else ``general``: the message's keywords name
    no other topic (the topic with most keyword hits is this one or none), and, when they
    name none, the meaning (``guess``, None when no encoder: nothing to doubt) agrees and
    leads the next topic by ``min_margin``. Keywords and meaning disagreeing is no
    tie-break either way: where they did on the care texts, meaning was right 53 % of the
    time and keywords 30 %, so a reply names neither."""
    if topic in ("", GENERAL_TOPIC):
        return topic
    named = topic_of(text, topics)
    if named == topic:
        return topic
    if named != GENERAL_TOPIC:
        return GENERAL_TOPIC
    if guess is None:
        return topic
    return topic if guess.topic == topic and guess.margin >= min_margin else GENERAL_TOPIC


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
