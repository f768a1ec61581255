"""Triage rules on top of the model's tone: does it need a reply, about what, how urgent.

Tone and need are different questions: "why won't my order ship?" is neutral and
needs an answer; "love you guys" is positive and needs none (a thank-you may be
offered, marked optional). Every factor behind the priority is kept, so the inbox
can show why a mention ranks where it does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from config.settings import TopicSettings, TriageSettings
from listener.filters import mentions_term
from sentiment.classifier import Prediction

GENERAL_TOPIC = "general"


@dataclass(frozen=True)
class Triage:
    needs_reply: bool
    optional: bool  # a thank-you the agent may send, at the lowest priority
    reason: str
    complaint: bool
    topic: str
    priority: float  # 0..1
    factors: dict[str, float]


@dataclass(frozen=True)
class Context:
    """What triage knows about a mention besides its text."""

    addressed: bool  # the brand is named or spoken to (not just a thread it appears in)
    followers: int
    age_minutes: float


def _any_term(text: str, terms: list[str]) -> list[str]:
    return [t for t in terms if mentions_term(text, t)]


def is_question(text: str, question_words: list[str]) -> bool:
    if any(mark in text for mark in "?？؟"):
        return True
    words = re.sub(r"^(\s*[@#]\w+\s*)+", "", text).strip().lower().split()
    return bool(words) and words[0].strip(",.!") in question_words


def topic_of(text: str, topics: list[TopicSettings]) -> str:
    """The configured topic whose keywords the text hits most; ``general`` if none."""
    best, best_hits = GENERAL_TOPIC, 0
    for topic in topics:
        hits = len(_any_term(text, topic.keywords))
        if hits > best_hits:
            best, best_hits = topic.name, hits
    return best


def reach_factor(followers: int, saturation: int) -> float:
    return min(1.0, math.log10(1 + max(0, followers)) / math.log10(1 + saturation))


def _weights(settings: TriageSettings) -> dict[str, float]:
    return {
        "negativity": settings.weight_negativity,
        "reach": settings.weight_reach,
        "urgency": settings.weight_urgency,
        "waiting": settings.weight_waiting,
    }


def waiting_share(settings: TriageSettings) -> float:
    """The waiting factor's share of the priority: the inbox re-ages a stored priority
    with it when the queue is read (store.inbox.Ranking)."""
    weights = _weights(settings)
    return weights["waiting"] / (sum(weights.values()) or 1.0)


def triage(
    text: str,
    prediction: Prediction,
    context: Context,
    topics: list[TopicSettings],
    settings: TriageSettings,
    sla_minutes: int,
) -> Triage:
    negativity = prediction.scores.get("negative", 0.0)
    complaint = negativity >= settings.complaint_threshold
    question = is_question(text, settings.question_words)
    help_terms = _any_term(text, settings.help_words)
    urgent_terms = _any_term(text, settings.urgency_words)
    spam = bool(_any_term(text, settings.spam_words))

    if spam:
        needs, reason = False, "spam"
    elif complaint:
        needs, reason = True, "complaint"
    elif help_terms and context.addressed:
        needs, reason = True, "asks for help"
    elif question and context.addressed:
        needs, reason = True, "question"
    elif urgent_terms and context.addressed:
        needs, reason = True, "urgent"
    elif prediction.label == "positive":
        needs, reason = False, "praise"
    else:
        needs, reason = False, "no question or problem addressed to the brand"
    optional = not needs and reason == "praise" and settings.offer_thanks

    factors = {
        "negativity": round(negativity, 3),
        "reach": round(reach_factor(context.followers, settings.reach_saturation), 3),
        "urgency": min(1.0, 0.5 * len(urgent_terms)),
        "waiting": round(min(1.0, max(0.0, context.age_minutes) / sla_minutes), 3),
    }
    weights = _weights(settings)
    total = sum(weights.values()) or 1.0
    priority = sum(weights[k] * factors[k] for k in factors) / total
    if not needs:
        priority *= 0.1  # optional thank-yous and no-reply mentions sink to the bottom
    return Triage(
        needs_reply=needs,
        optional=optional,
        reason=reason,
        complaint=complaint,
        topic=topic_of(text, topics),
        priority=round(priority, 4),
        factors=factors,
    )
