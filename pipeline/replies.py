"""What the agent is offered for a mention: composes the pure responder (policy,
knowledge base, templates, past approved replies) with the encoder and the store.

``Replies.offer`` needs no database (``main.py draft`` uses it on plain text);
``Replies.draft_batch`` is the daemon's drafting stage: it reads each mention's
context (what its author got today, our earlier reply in its thread, approved replies
on its topic), then stores the draft and its options, or holds the mention with flags.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from config.settings import KbArticle, Settings
from core.clock import from_iso
from core.errors import MentiondeskError
from core.terms import matcher, normalise
from core.words import counted
from listener.platforms import PLATFORMS, reply_limit
from responder import drafting, policy
from responder.knowledge import KbIndex, clean_mention
from sentiment import topics
from sentiment import triage as triage_rules
from sentiment.batch import topic_finder_for
from sentiment.embedding import Embedder
from sentiment.roles import BYSTANDER
from store import drafts, mentions, set_aside
from store.db import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offer:
    """Drafts offered (first is the template draft), or none when the mention is held."""

    options: list[dict[str, Any]]  # {"kind", "text", "template" | "from_draft", "score"}
    lang: str
    notes: list[str]
    article: KbArticle | None
    article_score: float
    flags: list[policy.Flag] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return not self.options

    def as_json(self) -> dict[str, Any]:
        return {
            "drafts": self.options, "language": self.lang, "notes": self.notes,
            "article": ({"title": self.article.title, "url": self.article.url,
                         "score": round(self.article_score, 3)} if self.article else None),
            "article_score": round(self.article_score, 3),
            "flags": [f.stored() for f in self.flags], "held": self.held,
        }


def reply_language(m: dict[str, Any]) -> str:
    """The language to answer mention ``m`` in: triage's (sentiment.language, the one
    detector; it keeps the platform's tag when unsure), else the platform's tag, else ""
    (the brand's language then)."""
    return (m.get("language") or m.get("lang") or "").split("-")[0]


def is_safety(settings: Settings, text: str) -> bool:
    """Whether ``text`` reports smoke, heat, sparks...: safety advice is due."""
    return bool(matcher(tuple(settings.responder.safety_words)).find(normalise(text)))


def is_warning(settings: Settings, m: dict[str, Any]) -> bool:
    """Whether mention ``m`` is a bystander's safety warning ("do NOT plug it back in")
    about another person's product: they are thanked, not consoled or offered a
    replacement, and not told to unplug what is not theirs."""
    return m.get("role") == BYSTANDER and is_safety(settings, m["text"])


def reply_lead(settings: Settings, m: dict[str, Any]) -> str:
    """The safety sentence a draft for mention ``m`` opens with, whoever writes it: none
    for a bystander's warning (its "+bystander" template asks whoever is affected to
    unplug), else the one its words call for."""
    if is_warning(settings, m):
        return ""
    return drafting.safety_lead(m["text"], settings.responder.leads())


def platform_rules(settings: Settings, name: str) -> drafting.PlatformRules:
    known = PLATFORMS[name]
    return drafting.PlatformRules(
        name=name, limit=reply_limit(settings, name),
        length=known.reply_length, address=known.address)


class Replies:
    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self.settings, self.embedder = settings, embedder
        self._index: KbIndex | None = None
        self._finder: topics.TopicFinder | None = None

    def index(self) -> KbIndex | None:
        articles = self.settings.responder.knowledge_base
        if self.embedder is None or not articles:
            return None
        if self._index is None:
            self._index = KbIndex.build(articles, self.embedder.embed)
        return self._index

    def offer(self, m: dict[str, Any], *, recent: list[str] | None = None,
              thread: dict[str, Any] | None = None,
              memory: list[dict[str, Any]] | None = None) -> Offer:
        """The drafts for mention ``m`` (a row of ``mentions.awaiting_draft`` or the like:
        text, platform, brand, author_handle, author_name, label, topic, language, spam,
        lang, id, created_at, reason), given what its author got lately (``recent``), our latest
        reply in its thread (``thread``) and approved replies on its topic (``memory``)."""
        s, r = self.settings, self.settings.responder
        brand = s.brand(m["brand"])
        flags = policy.mention_flags(m["text"], r.policy)
        if m.get("spam"):
            # Triage's spam verdict on a mention it still sent here: a reply is owed
            # anyway (the learned spam flag never takes a reply away, sentiment.triage),
            # so the agent is told and the policy's own words alone hold a draft back.
            flags.append(policy.SUSPECTED_SPAM)
        if thread:
            second = policy.second_reply(
                r.policy, our_reply_at=from_iso(thread["at"]),
                replied_to_author=thread["handle"], author=m["author_handle"],
                created_at=from_iso(m["created_at"]))
            flags += [second] if second else []
        # The policy's words hold a draft back (the mention leaves the queue, flagged),
        # but not from a mention that asks, waits or reports a problem in words (triage's
        # rules) and that triage did not call spam (a customer's "bit.ly" video of the
        # fault, "this piece of junk died, can you replace it"), nor from one an agent
        # put in the queue by hand (``store.inbox.queue_missed``): the flags stay beside
        # the draft for the agent.
        by_hand = bool(m.get("queued_by_hand"))
        asks = triage_rules.asks_in_words(m.get("rules") or {}) and not m.get("spam")
        if not by_hand and any(f.kind == "thread" or (f.kind in policy.NO_DRAFT and not asks)
                               for f in flags):
            return Offer([], "", [], None, 0.0, flags)
        flags = [policy.drafted_anyway(f) if f.kind in policy.HOLDING else f for f in flags]

        rules = platform_rules(s, m["platform"])
        lang = reply_language(m)
        brand_terms = [*brand.handles, *brand.keywords]
        article, score, vector = self._article(m, lang or brand.language, brand_terms)
        topic = m["topic"]
        if article is not None and not article.topics and topic != "general":
            topic = ""  # a general article ("reset a bulb") beats a keyword's topic
        label = m["label"]
        if label == "positive" and m.get("reason") != "praise":
            label = "neutral"  # a plea that reads positive ("love that for me") is no praise
        topic = self._sure_topic(m["text"], topic)
        topic_link = next((t.kb_link for t in s.topics if t.name == topic), "")
        request = drafting.Request(
            handle=m["author_handle"], author_name=m.get("author_name") or "",
            label=label, topic=topic, lang=lang, seed=int(m.get("id") or 0),
            question=triage_rules.is_question(m["text"], s.triage.question_words),
            text=m["text"], safety=is_safety(s, m["text"]),
            bystander=is_warning(s, m))
        lead = reply_lead(s, m)
        first = drafting.draft(request, brand, r, rules, article=article,
                               topic_link="" if self.index() else topic_link,
                               recent=recent or [], lead=lead)
        options = [{"kind": "template", "text": first.text, "template": first.template}]
        past = self._past(m, request, vector, memory or [], rules, lead)
        if past and past["text"] != first.text:
            options.append(past)
        notes = [f.message for f in flags] + first.notes
        return Offer(options, first.lang, notes, article, score, flags)

    def _sure_topic(self, text: str, topic: str) -> str:
        """The template's topic: the triage topic when it is sure, else ``general`` (the
        tone's template, which names no problem). A wrong topic's template names the
        wrong problem ("no refund for the hub I returned", an outage by meaning and
        billing by its words, got "sorry about the billing trouble"); following the
        words instead was right on 30 % of such care texts (docs/responder.md)."""
        finder = self.topic_finder()
        guess = finder.guesses([text])[0] if finder is not None else None
        return topics.sure_topic(topic, text, list(self.settings.topics), guess,
                                 self.settings.responder.template_topic_margin)

    def topic_finder(self) -> topics.TopicFinder | None:
        """Topic by meaning on this encoder (as triage found it: the same vectors, cached
        from triage in the daemon), or None without an encoder or with keyword topics."""
        if self.embedder is None:
            return None
        if self._finder is None:
            self._finder = topic_finder_for(self.settings, self.embedder)
        return self._finder

    def _article(self, m: dict[str, Any], lang: str, brand_terms: list[str]
                 ) -> tuple[KbArticle | None, float, np.ndarray | None]:
        index = self.index()
        if index is None or self.embedder is None:
            return None, 0.0, None
        cleaned = clean_mention(m["text"], brand_terms)
        vector = self.embedder.embed([cleaned])[0]  # cached by _embed_queries in a batch
        if m["label"] == "positive":  # praise gets thanks, not a help article
            return None, 0.0, vector
        r = self.settings.responder
        brand_lang = self.settings.brand(m["brand"]).language
        choice = index.choose(vector, cleaned, topic=m["topic"],
                              languages=list(dict.fromkeys((lang, brand_lang))),
                              threshold=r.kb_threshold, topic_bonus=r.kb_topic_bonus,
                              lexical_weight=r.kb_lexical_weight)
        return choice.article, choice.score, vector

    def _past(self, m: dict[str, Any], request: drafting.Request, vector: np.ndarray | None,
              memory: list[dict[str, Any]], rules: drafting.PlatformRules, lead: str = ""
              ) -> dict[str, Any] | None:
        """The nearest approved reply to a similar mention, re-addressed (and led by the
        safety sentence when the mention needs one), as an option."""
        if vector is None or not memory or self.embedder is None:
            return None
        brand = self.settings.brand(m["brand"])
        terms = [*brand.handles, *brand.keywords]
        past = self.embedder.embed([clean_mention(x["mention_text"], terms) for x in memory])
        sims = past @ vector
        best = int(np.argmax(sims))
        if float(sims[best]) < self.settings.responder.past_reply_threshold:
            return None
        row = memory[best]
        text = drafting.lead_with(
            drafting.adapt(row["reply"], row["author_handle"], row["author_name"],
                           request, brand, self.settings.responder, rules), lead,
            drafting.greeting_words(self.settings.responder))
        if policy.reply_problems(text, rules.length(text), rules.limit, rules.name,
                                 self.settings.responder.policy, brand.allowed_promises):
            return None
        return {"kind": "past", "text": text, "from_draft": row["draft_id"],
                "score": round(float(sims[best]), 3)}

    def _embed_queries(self, rows: list[dict[str, Any]]) -> None:
        """The batch's knowledge-base queries encoded in one call (the embedder caches
        them), instead of one encoder run per mention: batched, a text costs a fraction.
        The query is the mention without handles, links and brand names, as in
        ``_article``; a row whose brand is gone is left to fail there, alone."""
        if self.index() is None or self.embedder is None:
            return
        queries = []
        for row in rows:
            try:
                brand = self.settings.brand(row["brand"])
            except (MentiondeskError, KeyError):
                continue
            queries.append(clean_mention(row["text"], [*brand.handles, *brand.keywords]))
        self.embedder.embed(queries)

    def examples(self, m: dict[str, Any], memory: list[dict[str, Any]], k: int) -> list[str]:
        """The ``k`` approved replies whose mentions are nearest ``m``'s text, nearest
        first: the examples an AI prompt carries."""
        if not k or not memory or self.embedder is None:
            return []
        brand = self.settings.brand(m["brand"])
        terms = [*brand.handles, *brand.keywords]
        vector = self.embedder.embed([clean_mention(m["text"], terms)])[0]
        past = self.embedder.embed([clean_mention(x["mention_text"], terms) for x in memory])
        order = np.argsort(-(past @ vector))[:k]
        return list(dict.fromkeys(memory[int(i)]["reply"] for i in order))

    # --- the daemon's stage -----------------------------------------------------------
    def draft_batch(self, store: Store, now: datetime, limit: int) -> int:
        """Draft (or hold) the mentions awaiting a draft; returns how many it handled.

        The batch's context is read in a few queries (not three per row), the drafts
        are composed without touching the database, and all of them are written in one
        transaction: per-row queries and commits cost as much as the model did."""
        mentions.reopen_answers(store)
        r = self.settings.responder
        made = held = aside = thanks = 0
        rows = mentions.awaiting_draft(store, limit)
        self._embed_queries(rows)
        finder = self.topic_finder()
        if finder is not None:  # the texts, for their topic's lead (``_sure_topic``):
            finder.guesses([row["text"] for row in rows])  # cached since triage, or one call
        ids = [row["id"] for row in rows]
        author_of, sent = drafts.sent_to_authors(
            store, ids, now - timedelta(hours=r.repeat_window_hours))
        threads = drafts.replies_in_threads(store, ids)
        memories: dict[tuple[str, str], list[dict[str, Any]]] = {}
        done: list[tuple[dict[str, Any], Offer | Exception]] = []
        for row in rows:
            key = (row["brand"], row["topic"])
            if self.embedder and key not in memories:
                memories[key] = drafts.remembered(
                    store, row["brand"], row["topic"], now - timedelta(days=r.past_reply_days))
            recent = sent.setdefault(author_of.get(row["id"], -1), [])
            try:
                offer = self.offer(row, recent=list(recent), thread=threads.get(row["id"]),
                                   memory=memories.get(key, []))
            except (MentiondeskError, ValueError, TypeError, KeyError) as exc:
                done.append((row, exc))
                continue
            if not offer.held:
                recent.append(offer.options[0]["text"])  # what this author is now drafted
            done.append((row, offer))
        with store.atomic():
            for row, outcome in done:
                if isinstance(outcome, Exception):
                    # One row that cannot be drafted (its brand renamed away, an
                    # unreadable field) is set aside with the reason; the others are drafted.
                    set_aside.hold(store, "draft", row["id"],
                                   f"{type(outcome).__name__}: {outcome}", now, row["source"])
                    log.error("draft: mention %s set aside (main.py doctor lists it): %s",
                              row["id"], outcome)
                    aside += 1
                    continue
                flags = [f.stored() for f in outcome.flags]
                if outcome.held:
                    drafts.hold(store, row["id"], flags)
                    held += 1
                    continue
                if flags:
                    drafts.flag(store, row["id"], flags)
                first = outcome.options[0]
                created = drafts.create(
                    store, row["id"], first["text"], now, template=first["template"],
                    lang=outcome.lang, notes=outcome.notes, options=outcome.options[1:],
                    article_url=outcome.article.url if outcome.article else "")
                made += created is not None
                thanks += created is not None and bool(row.get("optional"))
        if held:
            log.info("drafting: %s held without a draft (spam, scam, abuse, "
                     "or a second reply in a thread)", counted(held, "mention"))
        if made:
            # Thank-yous to praise are drafted too but need no reply: said apart, so the
            # count matches the triage line's "needing a reply" plus these.
            extra = f" ({counted(thanks, 'optional thank-you')})" if thanks else ""
            log.info("drafting: %s%s, now waiting for approval", counted(made, "new draft"),
                     extra)
        return made + held + aside
