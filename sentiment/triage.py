"""Triage on top of the model: does it need a reply, is it a complaint or spam, about
what, how urgent.

Tone and need are different questions: "why won't my order ship?" is neutral and
needs an answer; "love you guys" is positive and needs none (a thank-you may be
offered, marked optional). The model's learned heads (needs_reply, complaint, spam,
sarcasm) decide; the rules are readable features and explicit overrides from the
settings: a brand's "always reply" words (safety, fraud) and "never reply" words,
spam words, and the mention's role in its thread. A model without heads (a hub tone
model) falls back to the rules alone. Every factor behind the priority is kept, so
the inbox can show why a mention ranks where it does, and ``reason`` says why in words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from config.settings import BrandSettings, TopicSettings, TriageSettings
from core.priority import combine, waiting
from core.terms import matcher, normalise
from sentiment.classifier import Prediction
from sentiment.roles import BYSTANDER, CUSTOMER, ORIGINAL

GENERAL_TOPIC = "general"
_LEADING_TAGS = re.compile(r"^(\s*[@#]\w+\s*)+")


@dataclass(frozen=True)
class Triage:
    needs_reply: bool
    optional: bool  # a thank-you the agent may send, at the lowest priority
    reason: str
    complaint: bool
    topic: str
    priority: float  # 0..1
    factors: dict[str, float]
    spam: bool = False
    sarcasm: bool = False
    role: str = ORIGINAL
    language: str = ""
    # The rules and overrides that fired, e.g. {"always": ["smoke"], "help": ["refund"]}
    rules: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    """What triage knows about a mention besides its text."""

    addressed: bool  # the brand is named or spoken to (not just a thread it appears in)
    followers: int
    age_minutes: float
    role: str = ORIGINAL  # sentiment.roles: original poster, customer answering us, bystander
    language: str = ""  # ISO 639-1, "" when unknown


def _words(text: str) -> list[str]:
    return _LEADING_TAGS.sub("", text).strip().lower().split()


def is_question(text: str, question_words: list[str]) -> bool:
    if any(mark in text for mark in "?？؟"):
        return True
    words = _words(text)
    return bool(words) and words[0].strip(",.!") in question_words


def topic_of(text: str, topics: list[TopicSettings]) -> str:
    """The configured topic whose keywords the text hits most; ``general`` if none."""
    seen = normalise(text)
    best, best_hits = GENERAL_TOPIC, 0
    for topic in topics:
        hits = len(matcher(tuple(topic.keywords)).find(seen))
        if hits > best_hits:
            best, best_hits = topic.name, hits
    return best


def reach_factor(followers: int, saturation: int) -> float:
    return min(1.0, math.log10(1 + max(0, followers)) / math.log10(1 + saturation))


@dataclass(frozen=True)
class _Rules:
    """What the configured word lists find in one text (normalised once)."""

    question: bool
    help: list[str]
    urgent: list[str]
    spam: list[str]
    always: list[str]
    never: list[str]


def _rules(text: str, settings: TriageSettings, brand: BrandSettings | None) -> _Rules:
    seen = normalise(text)
    always = list(settings.always_reply_words) + (brand.always_reply_words if brand else [])
    never = brand.never_reply_words if brand else []
    return _Rules(
        question=is_question(seen, settings.question_words),
        help=matcher(tuple(settings.help_words)).find(seen),
        urgent=matcher(tuple(settings.urgency_words)).find(seen),
        spam=matcher(tuple(settings.spam_words)).find(seen),
        always=matcher(tuple(always)).find(seen),
        never=matcher(tuple(never)).find(seen),
    )


def _threshold(head: str, settings: TriageSettings, thresholds: dict[str, float]) -> float:
    configured = getattr(settings, f"{head}_threshold", None)
    return configured if configured is not None else thresholds.get(head, 0.5)


def _weights(settings: TriageSettings) -> dict[str, float]:
    return {
        "negativity": settings.weight_negativity,
        "reach": settings.weight_reach,
        "urgency": settings.weight_urgency,
        "waiting": settings.weight_waiting,
    }


def waiting_share(settings: TriageSettings) -> float:
    """The waiting factor's share of the priority: every interface re-ages a stored
    priority with it when it reads the queue (core.priority.reaged)."""
    weights = _weights(settings)
    return weights["waiting"] / (sum(weights.values()) or 1.0)


def triage(
    text: str,
    prediction: Prediction,
    context: Context,
    topics: list[TopicSettings],
    settings: TriageSettings,
    sla_minutes: int,
    *,
    thresholds: dict[str, float] | None = None,
    brand: BrandSettings | None = None,
    topic: str | None = None,
) -> Triage:
    """Decide one mention. ``thresholds`` are the model's own (chosen on validation data;
    settings override them); ``topic`` is one already found by meaning (else keywords)."""
    thresholds = thresholds or {}
    heads = prediction.heads
    negativity = prediction.scores.get("negative", 0.0)
    rules = _rules(text, settings, brand)
    learned = "needs_reply" in heads
    # The model reads English best: elsewhere the multilingual rules may also say yes.
    foreign = bool(context.language) and context.language != "en"

    if "complaint" in heads:
        complaint = heads["complaint"] >= _threshold("complaint", settings, thresholds)
    else:
        complaint = negativity >= settings.complaint_threshold
    sarcasm = "sarcasm" in heads and heads["sarcasm"] >= _threshold("sarcasm", settings,
                                                                    thresholds)
    # The spam words are an explicit override; the learned spam flag takes away only
    # a thank-you, never a reply the needs_reply head asks for.
    spam = bool(rules.spam) or (
        "spam" in heads and heads["spam"] >= _threshold("spam", settings, thresholds)
    )
    rule_need = context.addressed and bool(rules.help or rules.question or rules.urgent)

    if learned:
        # The rules are evidence, not the decision: where they (or the thread, or a
        # language the model reads less well) say a reply may be owed, the bar drops.
        cut = _threshold("needs_reply", settings, thresholds)
        if rule_need or foreign or context.role == CUSTOMER:
            cut = min(cut, settings.lowered_threshold)
        needs_model = heads["needs_reply"] >= cut
    else:
        needs_model = complaint or rule_need

    if rules.always:
        needs, reason = True, f"always-reply word: {rules.always[0]}"
    elif rules.never:
        needs, reason = False, f"never-reply word: {rules.never[0]}"
    elif rules.spam:
        needs, reason = False, f"spam word: {rules.spam[0]}"
    elif needs_model:
        needs = True
        if complaint:
            reason = "sarcastic complaint" if sarcasm else "complaint"
        elif rules.question and context.addressed:
            reason = "question"
        elif rules.urgent:
            reason = "urgent"
        else:
            reason = "asks for help"
        if context.role == CUSTOMER:
            reason += ", answering our reply"
        elif context.role == BYSTANDER:
            reason += ", from a bystander in the thread"
    elif spam:
        needs, reason = False, "spam or promotion"
    elif prediction.label == "positive" and not sarcasm:
        needs, reason = False, "praise"
    elif sarcasm:
        needs, reason = False, "sarcasm, no problem for us to solve"
    else:
        needs, reason = False, "no question or problem addressed to the brand"
    optional = not needs and reason == "praise" and settings.offer_thanks

    urgent_hits = len({w.lower() for w in rules.urgent + rules.always})
    factors = {
        "negativity": round(negativity, 3),
        "reach": round(reach_factor(context.followers, settings.reach_saturation), 3),
        "urgency": min(1.0, 0.5 * urgent_hits),
        "waiting": waiting(context.age_minutes, sla_minutes),
    }
    if context.role == BYSTANDER:
        # A bystander's "me too" or warning ranks below the customer's own report.
        factors["role"] = settings.bystander_priority
    # Optional thank-yous and no-reply mentions sink to the bottom (core.priority).
    priority = combine(factors, _weights(settings), needs)
    fired = {
        "always": rules.always, "never": rules.never, "spam": rules.spam,
        "help": rules.help, "urgency": rules.urgent,
        "question": ["?"] if rules.question else [],
    }  # fmt: skip
    return Triage(
        needs_reply=needs,
        optional=optional,
        reason=reason,
        complaint=complaint,
        topic=topic or topic_of(text, topics),
        priority=priority,
        factors=factors,
        spam=spam,
        sarcasm=sarcasm,
        role=context.role,
        language=context.language,
        rules={k: v for k, v in fired.items() if v},
    )
