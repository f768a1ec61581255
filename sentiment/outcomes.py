"""Did our reply help? The outcome of a conversation and the customer's predicted
satisfaction, from their words after our reply.

Two parts, both readable in the result:

- **rules**: word lists (``RULES``) for "it works now", thanks, "still broken",
  moving to a private channel, and whether the customer asks something; plus what our
  reply asked (a question we asked cannot be closed by a bare answer: "PS4" to "which
  platform?" is open);
- **a learned head** (``sentiment/outcome_head.npz``, trained by
  ``sentiment.train_outcomes`` on ``sentiment/labels/outcomes.tsv``): a small numpy
  softmax over the sentence vector of the customer's message (``Embedder``, the base
  MiniLM encoder) and the rule features, one for the outcome (resolved / open /
  escalated) and one for satisfaction (satisfied / neutral / dissatisfied).

The costly mistake is closing a conversation while the customer still needs us, so the
decision is biased towards not closing: ``resolved`` needs the head's probability over
a threshold chosen on validation brands *and* no rule against it (a question, "still",
"not working", an unanswered question of ours). ``no_answer`` is silence, decided by
the caller from time alone (``outcome_wait_hours``), never from text.

    decider = OutcomeDecider.load(embedder)
    [decision] = decider.decide([Exchange(reply="Which platform?", customer="PS4")])
    decision.outcome, decision.satisfaction, decision.scores, decision.reason

Nothing here imports torch: the embedder behind the ``Embedder`` interface does the
encoding; the head is a numpy matrix product.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from core.errors import ModelError
from core.terms import matcher, normalise
from sentiment.activations import softmax
from sentiment.handles import HANDLE

HEAD_FILE = Path(__file__).resolve().parent / "outcome_head.npz"
RESOLVED, OPEN, ESCALATED, NO_ANSWER = "resolved", "open", "escalated", "no_answer"
OUTCOMES = (RESOLVED, OPEN, ESCALATED)  # what words can say; no_answer is silence
ALL_OUTCOMES = (*OUTCOMES, NO_ANSWER)
SATISFACTION = ("satisfied", "neutral", "dissatisfied")
# The predicted satisfaction score is the expected rating on a 1-5 scale with
# dissatisfied = 1, neutral = 3, satisfied = 5 (the CSAT survey scale care leads know).
RATING = {"satisfied": 5.0, "neutral": 3.0, "dissatisfied": 1.0}

# Readable rules: each list is one feature (does the message contain one of these) and,
# for some, an override. Multilingual thanks because care traffic is.
RULES: dict[str, tuple[str, ...]] = {
    "fixed": (
        "works now", "working now", "it works", "it worked", "that worked", "worked for me",
        "fixed", "sorted", "resolved", "all good", "all set", "that did it", "did the trick",
        "problem solved", "issue solved", "good to go", "found it", "got it", "back up",
        "now working", "now it's okay", "now okay", "seem to be", "everything is now working",
        "restored", "received", "arrived", "made it", "working again", "works again",
        "up and running", "back to normal", "fine now", "figured it out", "nevermind", "nvm",
    ),
    "thanks": (
        "thanks", "thank you", "thank u", "thankyou", "thx", "ty", "cheers", "appreciate",
        "appreciated", "gracias", "merci", "danke", "obrigado", "obrigada", "grazie",
        "ありがとう", "ありがとうございます", "great service", "you're the best", "perfect",
        "amazing", "brilliant", "awesome",
    ),
    "still_broken": (
        "still", "not working", "isn't working", "doesn't work", "does not work",
        "didn't work", "did not work", "won't", "wont", "can't", "cant", "cannot",
        "not resolved", "unresolved", "not fixed", "isn't fixed", "no luck", "same problem",
        "same issue", "again", "nothing", "not yet", "haven't", "have not", "hasn't",
        "never", "no one", "nobody", "tried that", "tried this", "already did",
        "already tried", "already sent", "no response", "no reply", "waiting", "doesn't help",
        "didn't help", "not helpful", "no help", "getting nowhere", "fail", "failed", "error",
        "broken", "down", "gone", "missing", "lost", "refund", "not received",
    ),
    # Strong: the customer says the conversation moved to a private channel.
    "private": (
        "dm", "dm'd", "dmd", "dmed", "dms", "direct message", "private message", "pm",
        "messaged you", "message sent", "sent you", "sent a message", "inbox", "check your",
    ),
    # Weak: a channel named, often in a complaint ("I've been calling all day").
    "channel": (
        "call", "called", "calling", "call me", "phone", "contact number", "my number",
        "email", "e-mail", "store", "branch", "in person", "technician",
    ),
    # Still to come from the customer: not closed yet.
    "pending": (
        "will try", "i'll try", "ill try", "report back", "let you know", "keep you updated",
        "get back to you", "will see", "we'll see", "fingers crossed",
    ),
    "contrast": ("but", "however", "although", "though", "except", "apart from"),
    "done": ("done", "sent", "will do", "sure", "ok", "okay", "yes", "roger that", "sure thing"),
    "anger": (
        "worst", "pathetic", "useless", "ridiculous", "disappointed", "disappointing",
        "terrible", "horrible", "awful", "fed up", "unacceptable", "joke", "wtf", "lies",
        "lie", "scam", "annoyed", "frustrated", "frustrating", "angry", "disgusting",
        "shame", "poor", "sucks", "hate", "smh", "smdh", "seriously", "not happy", "unhappy",
        "infuriating", "greedy", "crime", "😡", "🙄", "😩", "😭", "☹️", "🙁", "😞", "😒",
    ),
}
_QUESTION_WORDS = ("how", "why", "when", "what", "where", "which", "who", "can", "could",
                   "is", "are", "do", "does", "will", "would", "should", "any")
# Fix words that close a conversation on their own; the others ("arrived", "got it")
# only count with the head's agreement.
STRONG_FIX = frozenset(("works now", "working now", "it works", "it worked", "that worked",
                        "worked for me", "fixed", "sorted", "resolved", "all good", "all set",
                        "that did it", "did the trick", "problem solved", "issue solved",
                        "good to go", "now working", "everything is now working",
                        "working again", "works again", "up and running", "back to normal",
                        "figured it out"))
LONG_WORDS = 20  # a thanks at the end of a long message closes nothing by itself
FEATURES = ("fixed", "thanks", "still_broken", "private", "channel", "pending", "contrast",
            "done", "anger", "question", "we_asked", "short", "emoji_only")
_URL = re.compile(r"https?://\S+")
_LEADING = re.compile(r"^(\s*@\w+\s*)+")
_NEVER_MIND = re.compile(r"\bnever\s+mind\b", re.IGNORECASE)
_NEGATED_FIX = re.compile(r"\b(not|n't|never|no longer|stopped|stops|quit|keeps)\s+(\w+\s+)?"
                          r"(fixed|sorted|resolved|working|works)\b")


def mask(text: str) -> str:
    """Handles become ``@user`` (numeric: a customer) or ``@brand`` (a named account),
    so neither the labeller nor the model keys on a company or a person."""
    return HANDLE.sub(lambda m: "@user" if m.group(1).isdigit() else "@brand", text)


def _body(text: str) -> str:
    """The words of a message without its leading handles and links."""
    return _URL.sub(" ", _LEADING.sub("", text)).strip()


def asks(text: str) -> bool:
    """Does the message ask something (a question mark, or a question word first)?"""
    body = _body(text)
    if any(mark in body for mark in "?？¿"):
        return True
    words = body.lower().split()
    return bool(words) and words[0].strip(",.!:") in _QUESTION_WORDS and len(words) > 3


def rule_hits(customer: str, reply: str = "") -> dict[str, list[str]]:
    """Which rule words the customer's message contains, plus the message-level facts
    (``question``, ``we_asked``, ``short``, ``emoji_only``) as one-item lists."""
    # "Never mind" withdraws the question: it is no "never" of a complaint.
    body = _NEVER_MIND.sub("nevermind", normalise(_body(customer)))
    hits = {name: matcher(terms).find(body) for name, terms in RULES.items()}
    # "not fixed", "isn't sorted", "stopped working again": a fix word under a negation
    # is not a fix.
    if _NEGATED_FIX.search(body.lower()):
        hits["fixed"] = []
        hits["still_broken"] = [*hits["still_broken"], "negated fix"]
    words = [w for w in body.split() if any(c.isalnum() for c in w)]
    hits["question"] = ["?"] if asks(customer) else []
    hits["we_asked"] = ["our question"] if reply and asks(reply) else []
    # Not a head feature (the labelled traffic rarely has our reply): a rule only.
    hits["we_invited_private"] = matcher(RULES["private"] + RULES["channel"]).find(
        normalise(_body(reply)))
    hits["strong_fix"] = [w for w in hits["fixed"] if w.lower() in STRONG_FIX]
    hits["long"] = ["long"] if len(words) > LONG_WORDS else []
    hits["short"] = ["short"] if len(words) <= 4 else []
    hits["emoji_only"] = ["emoji"] if body and not words else []
    return hits


def rule_vector(hits: dict[str, list[str]]) -> np.ndarray:
    return np.array([1.0 if hits.get(name) else 0.0 for name in FEATURES], dtype=np.float32)


class Embeds(Protocol):
    """What the decider needs of ``sentiment.embedding.Embedder``."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Exchange:
    """Our reply (may be unknown: ''), the customer's next message, their first one."""

    customer: str
    reply: str = ""
    first: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: str  # resolved / open / escalated
    satisfaction: str  # predicted: satisfied / neutral / dissatisfied
    satisfaction_score: float  # predicted rating 1..5
    scores: dict[str, float]  # outcome probabilities from the head
    satisfaction_scores: dict[str, float]
    sentiment_change: float | None  # valence(customer) - valence(first); None without first
    reason: str  # one sentence for the agent
    words: list[str] = field(default_factory=list)  # the rule words that decided
    rules: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "outcome": self.outcome, "satisfaction": self.satisfaction,
            "satisfaction_score": round(self.satisfaction_score, 3),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "satisfaction_scores": {k: round(v, 4) for k, v in self.satisfaction_scores.items()},
            "sentiment_change": None if self.sentiment_change is None
            else round(self.sentiment_change, 3),
            "reason": self.reason, "words": self.words,
            "rules": {k: v for k, v in self.rules.items() if v},
        }


@dataclass(frozen=True)
class Head:
    """Two softmax layers over [sentence vector, rule features]; standardised inputs."""

    mean: np.ndarray
    scale: np.ndarray
    outcome_w: np.ndarray  # (features, 3) in OUTCOMES order
    outcome_b: np.ndarray
    satisfaction_w: np.ndarray  # (features, 3) in SATISFACTION order
    satisfaction_b: np.ndarray
    resolve_threshold: float  # P(resolved) needed to close
    version: str

    def probabilities(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = (features - self.mean) / self.scale
        return softmax(x @ self.outcome_w + self.outcome_b), softmax(
            x @ self.satisfaction_w + self.satisfaction_b)

    def save(self, path: Path = HEAD_FILE) -> None:
        meta = json.dumps({"resolve_threshold": self.resolve_threshold,
                           "version": self.version, "features": list(FEATURES),
                           "outcomes": list(OUTCOMES), "satisfaction": list(SATISFACTION)})
        np.savez_compressed(
            path, mean=self.mean.astype(np.float32), scale=self.scale.astype(np.float32),
            outcome_w=self.outcome_w.astype(np.float32), outcome_b=self.outcome_b,
            satisfaction_w=self.satisfaction_w.astype(np.float32),
            satisfaction_b=self.satisfaction_b, meta=np.array(meta))

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> Head:
        try:
            with np.load(path) as data:
                meta = json.loads(str(data["meta"]))
                if meta["features"] != list(FEATURES):
                    raise ModelError(f"{path}: trained on other rule features; retrain it")
                return cls(data["mean"], data["scale"], data["outcome_w"], data["outcome_b"],
                           data["satisfaction_w"], data["satisfaction_b"],
                           float(meta["resolve_threshold"]), str(meta["version"]))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot load the outcome head {path}: {exc}") from exc


def features(embedder: Embeds, customers: Sequence[str], replies: Sequence[str]) -> np.ndarray:
    """[sentence vector of the masked customer message, rule features] per exchange."""
    texts = [mask(c) for c in customers]
    vectors = embedder.embed([_body(t) or t for t in texts])
    rules = np.stack([rule_vector(rule_hits(c, r)) for c, r in zip(texts, replies, strict=True)])
    return np.concatenate([vectors, rules], axis=1).astype(np.float32)


def valence(satisfaction_scores: dict[str, float]) -> float:
    """Tone of a message from -1 (dissatisfied) to +1 (satisfied)."""
    return satisfaction_scores["satisfied"] - satisfaction_scores["dissatisfied"]


def decide_one(p_outcome: np.ndarray, p_sat: np.ndarray, hits: dict[str, list[str]],
               threshold: float) -> tuple[str, str, list[str]]:
    """The outcome from the head's probabilities and the rules; (outcome, reason, words).

    The order is the policy: what the customer says against closing wins over the head
    (still broken, a question, our unanswered question, more to come, "thanks, but");
    the head may close only above ``threshold`` and with the customer's own fix or
    thanks words; a private channel named outright is escalation.
    """
    scores = dict(zip(OUTCOMES, p_outcome.tolist(), strict=True))
    fixed, strong, thanks = hits["fixed"], hits["strong_fix"], hits["thanks"]
    broken = hits["still_broken"]
    if broken and not strong:
        return OPEN, "still not working after our reply", broken
    if hits["private"] or (hits["channel"] and scores[ESCALATED] >= 0.25) or (
            hits["we_invited_private"] and hits["done"]):
        words = hits["private"] or hits["channel"] or hits["done"]
        return ESCALATED, "the conversation moved to a private channel", words
    if hits["question"]:
        return OPEN, "the customer asks something after our reply", ["?"]
    if hits["we_asked"] and not (fixed or thanks):
        return OPEN, "the customer answered our question; we owe the next step", []
    if hits["pending"]:
        return OPEN, "the customer will come back after trying", hits["pending"]
    said = strong or ((fixed or thanks) and not hits["contrast"] and not hits["long"])
    if scores[RESOLVED] >= threshold and (said or scores[RESOLVED] >= 0.9) and not (
            hits["contrast"] and not strong):
        return RESOLVED, ("the customer says it works" if fixed else
                          "the customer thanks us and closes"), fixed or thanks
    if scores[ESCALATED] >= scores[OPEN]:
        return ESCALATED, "the conversation moved to a private channel", hits["channel"]
    if p_sat[2] >= 0.5 or hits["anger"]:
        return OPEN, "the customer is still unhappy after our reply", hits["anger"]
    if hits["contrast"] and thanks:
        return OPEN, "the customer thanks us but is not done", hits["contrast"]
    return OPEN, "the customer gave details; we owe the next step", []


class OutcomeDecider:
    """Rules and the learned head over the sentence encoder."""

    def __init__(self, embedder: Embeds, head: Head) -> None:
        self.embedder, self.head = embedder, head
        self.version = head.version

    @classmethod
    def load(cls, embedder: Embeds, path: Path = HEAD_FILE) -> OutcomeDecider:
        return cls(embedder, Head.load(path))

    def decide(self, exchanges: Sequence[Exchange]) -> list[Decision]:
        """One decision per exchange, in order."""
        if not exchanges:
            return []
        x = features(self.embedder, [e.customer for e in exchanges],
                     [mask(e.reply) for e in exchanges])
        p_outcome, p_sat = self.head.probabilities(x)
        firsts = [i for i, e in enumerate(exchanges) if e.first.strip()]
        first_valence: dict[int, float] = {}
        if firsts:
            fx = features(self.embedder, [exchanges[i].first for i in firsts],
                          [""] * len(firsts))
            for i, p in zip(firsts, self.head.probabilities(fx)[1], strict=True):
                first_valence[i] = valence(dict(zip(SATISFACTION, p.tolist(), strict=True)))
        out = []
        for i, exchange in enumerate(exchanges):
            hits = rule_hits(mask(exchange.customer), mask(exchange.reply))
            outcome, reason, words = decide_one(p_outcome[i], p_sat[i], hits,
                                                self.head.resolve_threshold)
            sat = dict(zip(SATISFACTION, p_sat[i].tolist(), strict=True))
            label = max(sat, key=sat.__getitem__)
            change = valence(sat) - first_valence[i] if i in first_valence else None
            out.append(Decision(
                outcome=outcome, satisfaction=label,
                satisfaction_score=sum(RATING[k] * v for k, v in sat.items()),
                scores=dict(zip(OUTCOMES, p_outcome[i].tolist(), strict=True)),
                satisfaction_scores=sat, sentiment_change=change, reason=reason,
                words=list(words), rules=hits))
        return out
