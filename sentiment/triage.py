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
from collections.abc import Mapping
from dataclasses import dataclass, field

from config.settings import BrandSettings, TopicSettings, TriageSettings
from core.priority import combine, waiting
from core.terms import matcher, normalise
from sentiment.classifier import Prediction
from sentiment.roles import BYSTANDER, CUSTOMER, ORIGINAL

GENERAL_TOPIC = "general"
_LEADING_TAGS = re.compile(r"^(\s*[@#]\w+\s*)+")
# "… Help." / "HELP" / "please advise" as a sentence of its own at the end (links and
# handles aside): a plea, unlike "thanks for the help!".
_ENDS_WITH_PLEA = re.compile(r"(?:^|[^\w\s]\s*)(?:please\s+|pls\s+|plz\s+)?(?:help|help me|"
                             r"advise|assist)\W*$", re.IGNORECASE)
_TAIL = re.compile(r"(\s*(https?://\S+|[@#]\w+))+\s*$")
# A leading question word that opens an exclamation or a statement, not a question:
# "What an awesome flight!", "How cool is that.", "Will do :)", and praise with the
# handle as its subject: "@brand is the best airline", "@brand is definitely my new
# favourite", "@brand is flying from Love to Austin now" (airline praise the rules
# queued as questions, asking nothing).
_EXCLAMATION = re.compile(
    r"^(?:what an?|how (?:great|cool|awesome|nice|lovely|sweet|amazing|good|fun|cute|"
    r"beautiful|wonderful)|will do|(?:is|are) (?:(?:definitely|officially|really|truly|"
    r"simply|so|still|always|just|now|hands down|by far) )*(?:(?:the )?(?:best|greatest)"
    r"(?! (?:way|place|number|time|person|option|email|address|contact)\b)|"
    r"my (?:new )?fav\w*|awesome|amazing|excellent|wonderful|great|brilliant|fantastic|"
    r"alright with me)|(?:is|are) (?:\w+ly )?(?!(?:any|some|no|every)thing\b)\w{2,}ing\b)\b")
# An old-style quote of someone else's post ("“@brand: … When will this be?” Spring
# Break!!!", "RT @brand: …"): its words are not the author's, so the rules skip them.
_QUOTED = re.compile(r"[“\"]@\w+:[^”\"]*[”\"]?|\b(?i:rt) @\w+:.*", re.DOTALL)
_FIRST_SENTENCE = re.compile(r"(?<=[.!])\s")
# A name its writer is unsure how to spell ("Lisa (Liza?) was very helpful", "(sp?)"):
# that question mark asks nothing.
_DOUBTED_SPELLING = re.compile(
    r"\((?:sp|(?!(?:Why|What|How|When|Where|Who|Really|Seriously)\?)[A-Z][a-z]+)\?\)")
# A "please" that forwards praise ("please thank Robin at the desk", "please give Tara a
# bonus", "please pass it on") or begs a follow ("FOLLOW ME BACK, PLEASE 🙏") asks the
# brand for nothing it must answer: the request words skip it. A follow plea that means
# to send details ("follow me so I can DM you") still asks (``_SENDS_DETAILS``).
_PLEASE = r"(?:please|pls|plz)"
_PRAISE_PLEA = re.compile(
    rf"\b{_PLEASE}\s+(?:also\s+)?(?:thank|acknowledge|recogni[sz]e|commend|congratulate|"
    r"pass (?:it|this|that|(?:my|our) (?:thanks|compliments|gratitude))(?: on| along)?\b|"
    r"give (?:\w+ ){1,5}?(?:a )?(?:bonus|raise|pat on the back|kudos|shout ?out|hug|"
    r"(?:big )?thanks)\b)", re.IGNORECASE)
_FOLLOW_PLEA = re.compile(
    rf"\b(?:{_PLEASE}\s+)?follow (?:me|us)(?: back)?\b(?:[\s,!.;)]*{_PLEASE}\b)?", re.IGNORECASE)
# Thanks for help already given ("thanks for the help", "I appreciate your support",
# "for his patient help") is gratitude, not a call for help: the help words skip it.
_THANKS_FOR_HELP = re.compile(
    r"\b(?:(?:thanks|thank you|thx|grateful|appreciate[sd]?)(?: so much| very much)?"
    r"(?: for| to)?(?: all)?(?: (?:your|the|his|her|their|our|ur)(?: \w+){0,2}?)?"
    r"|for (?:his|her|their)(?: \w+){0,2}?) (?:help|support|assistance)\b", re.IGNORECASE)
# Praise that says "can't" ("can't wait to fly you again", "can't say enough good things",
# "can't thank you enough", "can't complain") calls for no help: the help words skip it.
# "can't even", "can't wait any longer", "can't complain to anyone" and every other
# "can't" still count.
_CANT_PRAISE = re.compile(
    r"\bcan'?t (?:wait to|wait\s*!|say enough|thank (?:\w+ ){1,3}?enough|"
    r"complain\b(?!\s+(?:to|anywhere|because|since))|"
    r"recommend (?:\w+ ){1,3}?enough)", re.IGNORECASE)
_SENDS_DETAILS = re.compile(r"\b(?:dm|d\.m\.|direct message|message|inbox)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Triage:
    needs_reply: bool
    optional: bool  # a thank-you the agent may send, at the lowest priority
    reason: str
    complaint: bool
    topic: str
    priority: float  # 0..1; a safety mention (always-reply word) 1..2, above all others
    factors: dict[str, float]
    spam: bool = False
    sarcasm: bool = False
    role: str = ORIGINAL
    language: str = ""
    # The model doubted it (needs_reply under its threshold) but the mention asks,
    # waits or reports a problem, or sits in the unsure band: queued, ranked lower.
    unsure: bool = False
    # The rules and overrides that fired, e.g. {"always": ["smoke"], "help": ["refund"]}
    rules: dict[str, list[str]] = field(default_factory=dict)
    # Literal praise asking nothing, reporting no problem, no complaint: the model's
    # needs_reply had to clear the praise bar (``praise_threshold``) to queue it.
    praise_only: bool = False


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
    """A question mark, or a question in words (``opens_with_question``)."""
    return any(mark in text for mark in "?？؟") or opens_with_question(text, question_words)


def opens_with_question(text: str, question_words: list[str]) -> bool:
    """A leading question word ("how do I reset it"), unless that word opens an
    exclamation: praise such as "what a great crew!" or "@brand is my favourite
    airline!" asks nothing (held-out airline praise sent to the queue fell from 0.154
    to 0.136 with no request of a held-out brand lost)."""
    words = _words(text)
    if not words or words[0].strip(",.!?") not in question_words:
        return False
    lead = " ".join(words)
    first = _FIRST_SENTENCE.split(lead, maxsplit=1)[0].rstrip()
    return not (_EXCLAMATION.match(lead) or first.endswith("!"))


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
    question_word: str  # the word a question in words opens with ("" for none)
    help: list[str]
    urgent: list[str]
    spam: list[str]
    always: list[str]
    never: list[str]
    request: list[str]  # asks or waits ("when do I get", "I was wondering")
    problem: list[str]  # reports a problem ("doesn't work", "died")

    def asks(self) -> bool:
        """Asks the brand something, waits for it or reports a problem. (Help words
        alone do not count: "thanks for the help, best support ever" is praise.)"""
        return bool(self.question or self.request or self.problem)


def asks_in_words(fired: Mapping[str, list[str]]) -> bool:
    """Whether the rules that fired (``Triage.rules``, as stored) say the mention asks,
    waits or reports a problem in words: what neither a spam word nor the responder's
    spam, scam and abuse words may take away ("I won your giveaway, when do I get my
    prize?", "this piece of junk died again, can you replace it"). A bare question mark
    does not count ("follow for follow?")."""
    return bool(fired.get("request") or fired.get("problem")
                or any(word != "?" for word in fired.get("question", [])))


def _pleas_skipped(seen: str) -> str:
    """``seen`` without the pleas that forward praise or beg a follow (``_PRAISE_PLEA``,
    ``_FOLLOW_PLEA``): what the request words read."""
    seen = _PRAISE_PLEA.sub(" ", seen)
    return seen if _SENDS_DETAILS.search(seen) else _FOLLOW_PLEA.sub(" ", seen)


def _rules(text: str, settings: TriageSettings, brand: BrandSettings | None) -> _Rules:
    # The author's own words: a quoted post's question or plea is not theirs.
    seen = _DOUBTED_SPELLING.sub("", _QUOTED.sub(" ", normalise(text).replace("’", "'")))
    always = list(settings.always_reply_words) + (brand.always_reply_words if brand else [])
    never = brand.never_reply_words if brand else []
    return _Rules(
        question=is_question(seen, settings.question_words),
        question_word=_words(seen)[0].strip(",.!?")
        if opens_with_question(seen, settings.question_words) else "",
        help=matcher(tuple(settings.help_words)).find(
            _CANT_PRAISE.sub(" ", _THANKS_FOR_HELP.sub(" ", seen))),
        urgent=matcher(tuple(settings.urgency_words)).find(seen),
        spam=matcher(tuple(settings.spam_words)).find(seen),
        always=matcher(tuple(always)).find(seen),
        never=matcher(tuple(never)).find(seen),
        request=matcher(tuple(settings.request_words)).find(_pleas_skipped(seen))
        + (["help"] if _ENDS_WITH_PLEA.search(_TAIL.sub("", seen)) else []),
        problem=matcher(tuple(settings.problem_words)).find(seen),
    )


def _threshold(head: str, settings: TriageSettings, thresholds: dict[str, float]) -> float:
    # complaint_threshold is the negative score of a model *without* a complaint head;
    # the head's own bar is the model's.
    configured = None if head == "complaint" else getattr(settings, f"{head}_threshold", None)
    return configured if configured is not None else thresholds.get(head, 0.5)


def _complaint_bar(bar: float, prediction: Prediction, settings: TriageSettings) -> float:
    """The complaint head's ``bar``, raised by ``praise_complaint_factor`` for a mention whose
    served tone is confident praise (``confident_praise``): the head reads thanks that
    mention a past trouble ("thank you for refunding my bag fee", "great job ground
    crew, now let's get this bird outta here") as a complaint, and a complaint is always
    queued. Sarcasm keeps its own route to a complaint (half the plain bar)."""
    if (prediction.label == "positive"
            and prediction.scores.get("positive", 0.0) >= settings.confident_praise):
        return min(1.0, bar * settings.praise_complaint_factor)
    return bar


def _unsure_threshold(settings: TriageSettings, thresholds: dict[str, float], cut: float
                      ) -> float:
    """The bottom of the unsure band, where the queue begins: the setting, else the
    model's own, else no band (a model trained before the band existed)."""
    if settings.unsure_threshold is not None:
        return settings.unsure_threshold
    return queue_entry({**thresholds, "needs_reply": cut})


def queue_entry(thresholds: dict[str, float]) -> float:
    """The needs_reply probability from which a model's thresholds queue a mention on
    the model's word alone: the bottom of its unsure band where it has one, else its
    needs_reply bar (what ``model adapt`` moves and compares)."""
    cut = thresholds.get("needs_reply", 0.5)
    return min(cut, thresholds.get("unsure", cut))


def _praise_threshold(settings: TriageSettings, thresholds: dict[str, float]
                      ) -> float | None:
    """The praise bar: the setting, else the model's own, else none (a model trained
    before the bar existed keeps its decisions)."""
    if settings.praise_threshold is not None:
        return settings.praise_threshold
    return thresholds.get("praise")


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

    literal_praise = prediction.label == "positive"
    sarcasm = "sarcasm" in heads and heads["sarcasm"] >= _threshold("sarcasm", settings,
                                                                    thresholds)
    # Praise over a reported problem says the opposite of what it means.
    sarcasm = sarcasm or (literal_praise and bool(rules.problem) and context.addressed)
    complaint_bar = _threshold("complaint", settings, thresholds)
    if "complaint" in heads:
        complaint = heads["complaint"] >= _complaint_bar(complaint_bar, prediction, settings)
    else:
        complaint = negativity >= settings.complaint_threshold
    # Sarcasm about a problem the brand should hear of is a complaint, whatever its
    # literal tone ("hub died the day after the warranty ended… world-class 👏").
    complaint = complaint or (sarcasm and context.addressed and bool(
        rules.problem or heads.get("complaint", negativity) >= complaint_bar / 2))
    # The learned spam flag takes away only a thank-you, never a reply the needs_reply
    # head asks for, even a doubtful one (the unsure band). The spam words take a
    # mention away whatever the model says, unless it asks the brand in words and the
    # spam head does not call it spam too ("I won your giveaway, when do I get my
    # prize?", "do you accept crypto?": not spam; "please RT our giveaway!!" is).
    fired = {
        "always": rules.always, "never": rules.never, "spam": rules.spam,
        "help": rules.help, "urgency": rules.urgent,
        "question": [rules.question_word or "?"] if rules.question else [],
        "request": rules.request, "problem": rules.problem,
    }  # fmt: skip
    spam_head = "spam" in heads and heads["spam"] >= _threshold("spam", settings, thresholds)
    spam_word = bool(rules.spam) and not (
        context.addressed and asks_in_words(fired) and not spam_head)
    spam = spam_word or spam_head  # the verdict (the words found stay in ``rules``)
    asks = context.addressed and rules.asks()
    words = bool(rules.help or rules.question or rules.urgent or rules.request
                 or rules.problem)
    rule_need = context.addressed and words
    # Praise with nothing in it for the desk to answer: no question, request, help,
    # urgency or problem words, no complaint, no safety word.
    praise = literal_praise and not (complaint or rules.always or words)
    unsure = praise_only = False

    if learned:
        # The rules are evidence, not the decision: where they (or the thread) say a
        # reply may be owed, the confident bar drops; where the text is praise and
        # nothing else, it rises to the praise bar.
        cut = _threshold("needs_reply", settings, thresholds)
        floor = _unsure_threshold(settings, thresholds, cut)
        bar = _praise_threshold(settings, thresholds)
        if rule_need or context.role == CUSTOMER:
            cut = min(cut, settings.lowered_threshold)
        elif foreign:
            # A language the model reads less well: queued from the lowered bar as well,
            # but below the confident bar its reading stays a doubtful one (unsure).
            floor = min(floor, settings.lowered_threshold)
        elif praise and bar is not None:
            # Praise is queued from its own bar, with no unsure band.
            cut = floor = max(floor, bar)
            praise_only = True
        needs_model = heads["needs_reply"] >= cut
        # Below the (confident) bar but over the band's bottom, asking, or a complaint
        # to the brand: the queue, marked unsure and ranked lower (a missed customer
        # costs the desk far more than a skipped false alarm).
        unsure = not needs_model and (asks or (complaint and context.addressed)
                                      or heads["needs_reply"] >= floor)
    else:
        needs_model = complaint or rule_need

    if rules.always:
        needs, reason, unsure = True, f"always-reply word: {rules.always[0]}", False
    elif rules.never:
        needs, reason, unsure = False, f"never-reply word: {rules.never[0]}", False
    elif spam_word:
        needs, reason, unsure = False, f"spam word: {rules.spam[0]}", False
    elif needs_model or unsure:
        needs = True
        if complaint:
            reason = "sarcastic complaint" if sarcasm else "complaint"
        elif rules.question and context.addressed:
            reason = "question"
        elif rules.urgent:
            reason = "urgent"
        elif rules.problem and context.addressed:
            reason = "reports a problem"
        elif rules.help or rules.request:
            reason = "asks for help"
        else:
            # No word asks (so the model queued it: without heads the rules need a word):
            # "lol me too" in the unsure band is not someone asking for help.
            reason = "expects a reply"
        if context.role == CUSTOMER:
            reason += ", answering our reply"
        elif context.role == BYSTANDER:
            reason += ", from a bystander in the thread"
        if unsure:
            reason += " (unsure)"
    elif spam:
        needs, reason = False, "spam or promotion"
    elif literal_praise and not sarcasm:
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
    if unsure:
        factors["unsure"] = settings.unsure_priority
    if rules.always:
        # Safety and fraud rank above every other mention: a band of their own above 1.
        factors["safety"] = 1.0
    # Optional thank-yous and no-reply mentions sink to the bottom (core.priority).
    priority = combine(factors, _weights(settings), needs)
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
        unsure=unsure,
        rules={k: v for k, v in fired.items() if v},
        praise_only=praise_only,
    )
