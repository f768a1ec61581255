"""Triage a batch of mentions: one model pass, then the rules, roles, language and topic.

Shared by the daemon's triage job and ``main.py triage`` so both decide alike. Topic
by meaning costs a second encoder pass (the sentence embedder), so it is computed
only for the mentions where the topic matters most: those that need a reply (the
draft's template and knowledge-base link) and complaints (the complaint-topic
figures); the rest keep the keyword topic.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from config.settings import BrandSettings, Settings
from core.terms import matches_brand
from sentiment.classifier import Classifier, Prediction, thresholds_of
from sentiment.handles import vary_handles
from sentiment.language import detect
from sentiment.roles import ThreadFacts, thread_role
from sentiment.topics import TopicFinder
from sentiment.triage import Context, Triage, triage

if TYPE_CHECKING:
    from sentiment.embedding import Embedder


@dataclass(frozen=True)
class Item:
    """One mention as triage sees it."""

    text: str
    brand: BrandSettings
    followers: int = 0
    age_minutes: float = 0.0
    author: str = ""
    platform_lang: str = ""  # the platform's own language tag, if any
    thread: ThreadFacts = field(default_factory=ThreadFacts)
    addressed: bool | None = None  # None: the text names one of the brand's terms
    addressed_as: tuple[str, ...] = ()  # more ways to address the brand (u/handle)


def _addressed(item: Item) -> bool:
    if item.addressed is not None:
        return item.addressed
    return matches_brand(item.text, item.brand.handles, item.brand.keywords,
                         also=item.addressed_as)


def triage_items(
    items: list[Item],
    classifier: Classifier,
    settings: Settings,
    topic_finder: TopicFinder | None = None,
) -> list[tuple[Prediction, Triage]]:
    """A prediction and a triage per item, in order. Raises ``ModelError``."""
    if not items:
        return []
    predictions = classifier.classify([item.text for item in items])
    thresholds = thresholds_of(classifier)

    def decide(item: Item, prediction: Prediction, context: Context) -> Triage:
        return triage(item.text, prediction, context, settings.topics, settings.triage,
                      settings.sla.first_response_minutes, thresholds=thresholds,
                      brand=item.brand)  # fmt: skip

    results = []
    contexts = []
    for item, prediction in zip(items, predictions, strict=True):
        context = Context(
            addressed=_addressed(item),
            followers=item.followers,
            age_minutes=item.age_minutes,
            role=thread_role(item.author, item.thread, item.brand.handles),
            language=detect(item.text, item.platform_lang),
        )
        contexts.append(context)
        results.append((prediction, decide(item, prediction, context)))
    # Praise and nothing else is read again with its handles varied, as every training
    # text's were, and that reading's needs_reply decides: the encoder learnt airline
    # handles as airline traffic ("@united thank YOU" reads as a request), and praise
    # is where the desk's false alarms are (docs/model.md, *Praise read blind to the
    # handle*). Everything else keeps the real handles: "@AppleSupport" rightly says a
    # customer is writing to a help desk.
    praise = [i for i, (_, result) in enumerate(results) if result.praise_only]
    if praise:
        blind = classifier.classify([vary_handles(items[i].text) for i in praise])
        for i, read in zip(praise, blind, strict=True):
            heads = {**results[i][0].heads, "needs_reply": read.heads["needs_reply"]}
            prediction = dataclasses.replace(results[i][0], heads=heads)
            results[i] = (prediction, decide(items[i], prediction, contexts[i]))
    if topic_finder is not None:
        wanted = [i for i, (_, t) in enumerate(results) if t.needs_reply or t.complaint]
        topics = topic_finder.topics_of([items[i].text for i in wanted])
        for i, topic in zip(wanted, topics, strict=True):
            prediction, result = results[i]
            results[i] = (prediction, dataclasses.replace(result, topic=topic))
    return results


def topic_finder_for(settings: Settings, embedder: Embedder | None = None
                     ) -> TopicFinder | None:
    """The meaning-based topic finder the settings ask for (on ``embedder``, else the
    sentence encoder loaded here), or None for keyword topics or no topics configured."""
    if settings.triage.topic_method != "meaning" or not settings.topics:
        return None
    if embedder is None:
        from sentiment.embedding import Embedder

        embedder = Embedder.load()
    return TopicFinder(list(settings.topics), embedder.embed,
                       settings.triage.topic_min_similarity, brand_terms(settings))


def brand_terms(settings: Settings) -> list[str]:
    """Every brand's names and handles: what a topic's keyword prototypes leave out."""
    return list(dict.fromkeys(t for b in settings.brands for t in (*b.keywords, *b.handles)))
