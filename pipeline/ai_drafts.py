"""The AI drafting job: a second draft from the team's own model, beside the template one.

Its own daemon job (never inside triage or the template drafting stage): it takes
pending drafts, asks the model with a grounded prompt (``responder.ai``), checks the
answer with the very function that checks an agent's edit (``pipeline.actions.
text_problems``, plus the machine checks), and offers it as an option of kind "ai" only
when it passes. A refusal or failure is recorded with its reason, counted and logged;
the template draft is always there. A timeout, 5xx or 429 pauses the job (exponential
back-off, or the server's Retry-After) and the draft is retried up to ``max_attempts``;
a malformed answer is a failure. A 401, 403 or 404 (a wrong key, model or URL) fails no
draft: the job pauses for ``retry_max_seconds`` and says so once. No database
transaction is open while the model thinks, and one stalled call holds only this job's
worker for ``timeout_seconds``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from config.secrets import secret
from config.settings import KbArticle, Settings
from core.backoff import RetryPolicy
from core.clock import Clock
from listener.platforms import address, reply_limit
from pipeline import telemetry
from pipeline.actions import our_links, text_problems
from pipeline.jobs import ROW_ERRORS
from pipeline.replies import Replies, reply_language, reply_lead
from responder import ai, drafting
from responder.model_client import ChatModel, ModelFailure
from responder.policy import MachineCheck
from store import ai_drafts, drafts, mentions
from store.db import Store

log = logging.getLogger(__name__)
THREAD_MESSAGES = 6  # the latest messages of the conversation the prompt carries


def build_model(settings: Settings) -> ChatModel:
    """The configured endpoint, with the key from MENTIONDESK_AI_API_KEY (if set)."""
    a = settings.responder.ai
    return ChatModel(a.base_url, a.model, timeout_seconds=a.timeout_seconds,
                     max_tokens=a.max_tokens, temperature=a.temperature,
                     key=secret("MENTIONDESK_AI_API_KEY"))


@dataclass(frozen=True)
class Written:
    """One attempt: ``text`` is offered when ``problems`` and ``failure`` are empty."""

    text: str
    model: str
    seconds: float
    problems: list[str]
    failure: ModelFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.problems

    @property
    def reason(self) -> str:
        return self.failure.reason if self.failure else "; ".join(self.problems)


class AiDrafter:
    def __init__(self, settings: Settings, replies: Replies, clock: Clock,
                 model: ChatModel | None = None, rng: random.Random | None = None) -> None:
        self.settings, self.replies, self.clock = settings, replies, clock
        self.model = model or build_model(settings)
        a = settings.responder.ai  # retries wait by the one back-off (core.backoff)
        self.backoff = RetryPolicy(backoff=a.retry_seconds, max_backoff=a.retry_max_seconds,
                                   rng=rng or random.Random())
        self.paused_until: datetime | None = None  # after a timeout, 5xx or 429

    def for_brand(self, brand: str) -> bool:
        a = self.settings.responder.ai
        return a.enabled and next((b.ai_drafts for b in self.settings.brands
                                   if b.name == brand), False)

    # --- one draft ----------------------------------------------------------------------
    def context(self, m: dict[str, Any], *, article: KbArticle | None,
                thread: list[tuple[str, str]], examples: list[str]) -> ai.Context:
        """What the prompt says about mention ``m`` (text, platform, brand, author_handle,
        author_name, label, topic, complaint, lang, and triage's language and rules)."""
        s = self.settings
        brand = s.brand(m["brand"])
        lang = reply_language(m) or brand.language
        name = drafting.first_name(m.get("author_name") or "")
        handle = m.get("author_handle") or ""
        return ai.Context(
            brand=brand, platform=m["platform"], limit=reply_limit(s, m["platform"]),
            text=m["text"], address=name or (address(m["platform"], handle) if handle
                                             else s.responder.nobody),
            lang=lang, tone=m["label"], topic=m.get("topic") or "",
            complaint=bool(m.get("complaint")),
            safety_words=list((m.get("rules") or {}).get("always", [])),
            lead=reply_lead(s, m),
            article=article, thread=thread, examples=examples, policy=s.responder.policy)

    def write(self, ctx: ai.Context) -> Written:
        """Ask the model and check its answer; never raises for the model's faults."""
        try:
            answer = self.model.complete(ai.messages(ctx))
        except ModelFailure as failure:
            return Written("", self.model.model, 0.0, [], failure)
        text = ai.clean(answer.text, ctx.lead,
                        drafting.greeting_words(self.settings.responder))
        check = MachineCheck(our_links(self.settings), "\n".join(ai.instructions(ctx)),
                             [ctx.text, *(t for who, t in ctx.thread if who != "us")])
        problems = text_problems(self.settings, ctx.platform, text, ctx.brand.name, check)
        return Written(text, answer.model, answer.seconds, problems)

    def article(self, url: str) -> KbArticle | None:
        return next((a for a in self.settings.responder.knowledge_base if a.url == url), None)

    # --- the daemon's job ---------------------------------------------------------------
    def run_batch(self, store: Store) -> int:
        """Ask the model for up to ``batch_size`` due drafts; returns how many were
        decided (offered, refused or failed). Stops at the first timeout, 5xx or 429:
        the model is unwell, and the job waits out its back-off."""
        a = self.settings.responder.ai
        now = self.clock.now()
        if not a.enabled or (self.paused_until and now < self.paused_until):
            return 0
        opted_out = [b.name for b in self.settings.brands if not b.ai_drafts]
        done = 0
        for row in ai_drafts.due(store, now, now - timedelta(hours=a.max_age_hours),
                                 a.batch_size, opted_out):
            attempts = row["attempts"] + 1
            try:
                written = self.write(self._context(store, row, now))
            except ROW_ERRORS as exc:  # a brand renamed away, an unreadable row
                ai_drafts.note(store, row["draft_id"], "failed", self.clock.now(),
                               reason=f"{type(exc).__name__}: {exc}", attempts=attempts)
                done += 1
                continue
            if self._record(store, row["draft_id"], written, attempts):
                done += 1
            else:
                break
        return done

    def _context(self, store: Store, row: dict[str, Any], now: datetime) -> ai.Context:
        r = self.settings.responder
        thread = []
        for earlier in mentions.thread(store, row["mention_id"])[-THREAD_MESSAGES:]:
            thread.append((f"@{earlier['author_handle']}", earlier["text"]))
            if earlier["reply"]:
                thread.append(("us", earlier["reply"]))
        memory = drafts.remembered(store, row["brand"], row["topic"],
                                   now - timedelta(days=r.past_reply_days))
        return self.context(row, article=self.article(row["article_url"]), thread=thread,
                            examples=self.replies.examples(row, memory, r.ai.examples))

    def _record(self, store: Store, draft_id: int, written: Written, attempts: int) -> bool:
        """Store the attempt's outcome; False when the job should pause (retry later)."""
        a = self.settings.responder.ai
        now = self.clock.now()
        latency = round(written.seconds * 1000) if written.failure is None else None
        if written.ok:
            if ai_drafts.offer(store, draft_id, written.text, written.model, now,
                               attempts=attempts, latency_ms=latency):
                telemetry.AI_DRAFTS.labels("offered").inc()
                log.info("ai draft offered for draft %d (%s, %.1f s)", draft_id,
                         written.model, written.seconds)
            return True
        failure = written.failure
        if failure is not None and failure.setup:
            # Every draft would fail the same way until the settings are fixed: keep the
            # draft waiting (this try does not count) and pause the job for the longest
            # back-off, with one line an operator can act on.
            self.paused_until = now + timedelta(seconds=a.retry_max_seconds)
            ai_drafts.note(store, draft_id, "waiting", now, reason=failure.reason,
                           model=written.model, attempts=attempts - 1,
                           retry_at=self.paused_until)  # fmt: skip
            telemetry.AI_DRAFTS.labels("retry").inc()
            log.error("the AI model %s: %s (MENTIONDESK_AI_API_KEY); AI drafts paused until "
                      "%s, template drafts go on", written.model or a.model, failure.reason,
                      self.paused_until.isoformat(timespec="seconds"))
            return False
        if failure is not None and failure.retry and attempts < a.max_attempts:
            wait = failure.retry_after if failure.retry_after is not None else \
                self.backoff.delay(attempts - 1)
            self.paused_until = now + timedelta(seconds=wait)
            ai_drafts.note(store, draft_id, "waiting", now, reason=failure.reason,
                           model=written.model, attempts=attempts, retry_at=self.paused_until)
            telemetry.AI_DRAFTS.labels("retry").inc()
            log.warning("ai draft for draft %d: %s; the model is asked again after %s "
                        "(attempt %d of %d); the template draft stands", draft_id,
                        failure.reason, self.paused_until.isoformat(timespec="seconds"),
                        attempts, a.max_attempts)
            return False
        status = "failed" if failure is not None else "refused"
        ai_drafts.note(store, draft_id, status, now, reason=written.reason,
                       model=written.model, attempts=attempts, latency_ms=latency,
                       text=written.text)
        telemetry.AI_DRAFTS.labels(status).inc()
        log.warning("ai draft for draft %d %s, not offered: %s", draft_id, status,
                    written.reason)
        return failure is None or not failure.retry
