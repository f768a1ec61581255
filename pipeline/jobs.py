"""One method per stage. Each reads what the previous stage stored and writes its
result in one transaction, so a crash anywhere loses and repeats nothing: the next
run picks up the rows still in the earlier state. No stage calls the next."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from config.settings import Settings
from core.clock import Clock, from_iso
from core.errors import (
    AuthError,
    ConflictError,
    ModelError,
    PostGone,
    PublishError,
    PublishRefused,
    RateLimited,
    SourceError,
)
from core.reply import ReplyRequest
from listener.base import MentionSource, Publisher
from listener.platforms import address
from metrics.rollup import DraftFact, MentionFact, rollup
from pipeline import reporting
from pipeline.replies import Replies
from sentiment.batch import Item, triage_items
from sentiment.classifier import Classifier
from sentiment.embedding import Embedder
from sentiment.roles import ThreadFacts
from sentiment.topics import TopicFinder
from store import drafts, mentions, sources
from store import metrics as metric_store
from store.db import Store

log = logging.getLogger(__name__)

AUTH_PAUSE = timedelta(days=3650)  # until an operator fixes credentials and restarts
GONE_WINDOW = timedelta(days=7)  # how far back unanswered mentions are checked
ROLLUP_BATCH_HOURS = 48  # hours rebuilt per write transaction
# Replies unanswered for longer than reminder_hours plus this are history, not follow-ups
# (turning reminders on does not bring back a year of old conversations).
REMINDER_WINDOW = timedelta(days=7)


def refresh_metrics(store: Store, now: datetime, sla_minutes: int) -> int:
    """Rebuild the rollups of the hours marked dirty, oldest first; returns how many.

    Triggers mark hours whose mentions, triage or drafts changed (a late reply marks
    its old hour); the last SLA window is marked here, since an unanswered mention
    breaches the SLA by time passing alone.
    """
    sla_s = sla_minutes * 60
    with store.atomic() as db:
        metric_store.mark_since(db, now - timedelta(seconds=sla_s, hours=1))
    rebuilt = 0
    while hours := metric_store.dirty_hours(store, ROLLUP_BATCH_HOURS):
        with store.atomic() as db:
            facts = [MentionFact(**r) for h in hours
                     for r in metric_store.mention_facts(db, h, now)]
            draft_facts = [DraftFact(**r) for h in hours for r in metric_store.draft_facts(db, h)]
            rows, authors = rollup(facts, draft_facts, sla_s)
            metric_store.replace_hours(db, hours, rows, authors)
        rebuilt += len(hours)
    return rebuilt


@dataclass
class Pipeline:
    store: Store
    settings: Settings
    classifier: Classifier
    sources: dict[str, MentionSource]
    publishers: dict[str, Publisher]
    clock: Clock
    embedder: Embedder | None = None  # the knowledge base and past replies need it
    topic_finder: TopicFinder | None = None  # topic by meaning; None: by keywords

    def __post_init__(self) -> None:
        self.replies = Replies(self.settings, self.embedder)
        for name, source in self.sources.items():
            sources.ensure(self.store, name, source.platform)
            _, reason = sources.paused_until(self.store, name)
            if reason.startswith("auth"):
                # A restart is how an operator says credentials were fixed.
                sources.clear_pause(self.store, name)

    # --- listening --------------------------------------------------------------------
    def poll_source(self, name: str) -> int:
        """Poll one source; returns how many new mentions were stored."""
        now = self.clock.now()
        until, reason = sources.paused_until(self.store, name)
        if until and until > now:
            log.debug("source %s paused until %s: %s", name, until, reason)
            return 0
        source = self.sources[name]
        try:
            result = source.poll(sources.get_cursor(self.store, name))
        except RateLimited as exc:
            sources.pause(self.store, name, exc.reset_at, f"rate limited: {exc}")
            log.warning("source %s rate limited until %s", name, exc.reset_at.isoformat())
            return 0
        except AuthError as exc:
            sources.pause(self.store, name, now + AUTH_PAUSE, f"auth: {exc}")
            log.error("source %s paused: credentials refused (%s); fix them and restart",
                      name, exc)
            return 0
        except SourceError as exc:
            sources.record_error(self.store, name, str(exc))
            log.warning("source %s failed, will retry next interval: %s", name, exc)
            return 0
        for note in result.notes:
            log.warning("source %s: %s", name, note)
        brand = self.settings.sources_by_name()[name].brand
        new = mentions.save_poll(self.store, name, brand, result.mentions, result.cursor,
                                 self.clock.now())
        if result.retry_at:  # rate limited part-way: what was read is kept, go on later
            sources.pause(self.store, name, result.retry_at, "rate limited part-way")
        log.info("poll %s: %d fetched, %d new, %d requests", name, len(result.mentions), new,
                 result.requests)
        return new

    # --- triage -----------------------------------------------------------------------
    def triage_batch(self) -> int:
        rows = mentions.untriaged(self.store, self.settings.pipeline.batch_size)
        if not rows:
            return 0
        now = self.clock.now()
        items = [
            Item(text=row["text"], brand=self.settings.brand(row["brand"]),
                 followers=row["author_followers"],
                 age_minutes=(now - from_iso(row["created_at"])).total_seconds() / 60,
                 author=row["author_handle"], platform_lang=row["lang"],
                 thread=ThreadFacts(**mentions.thread_facts(self.store, row)),
                 # Spoken to the way the platform writes it, too (Reddit: u/handle).
                 addressed_as=tuple(address(row["platform"], h)
                                    for h in self.settings.brand(row["brand"]).handles))
            for row in rows
        ]  # fmt: skip
        try:
            results = triage_items(items, self.classifier, self.settings, self.topic_finder)
        except ModelError as exc:
            log.error("triage skipped: %s", exc)
            return 0
        records = [
            mentions.TriageRecord(
                mention_id=row["id"], label=prediction.label, scores=prediction.scores,
                complaint=t.complaint, needs_reply=t.needs_reply, optional=t.optional,
                reason=t.reason, topic=t.topic, priority=t.priority, factors=t.factors,
                model_name=self.classifier.name, model_version=self.classifier.version,
                spam=t.spam, sarcasm=t.sarcasm, language=t.language, role=t.role,
                heads={k: round(v, 4) for k, v in prediction.heads.items()}, rules=t.rules,
            )
            for row, (prediction, t) in zip(rows, results, strict=True)
        ]  # fmt: skip
        mentions.save_triage(self.store, records, now)
        needing = sum(r.needs_reply for r in records)
        log.info("triage: %d mentions, %d need a reply", len(records), needing)
        return len(records)

    # --- drafting ---------------------------------------------------------------------
    def draft_batch(self) -> int:
        return self.replies.draft_batch(self.store, self.clock.now(),
                                        self.settings.pipeline.batch_size)

    # --- publishing -------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Post approved drafts. A draft a crash left in ``posting`` is first checked
        against the platform, so each approved reply goes out exactly once."""
        posted = 0
        p = self.settings.pipeline
        ready = self.clock.now() - timedelta(seconds=p.undo_seconds)
        for row in drafts.to_publish(self.store, p.batch_size, approved_before=ready):
            publisher = self.publishers.get(row["source"])
            if publisher is None:
                log.error("draft %d: source %s is no longer configured; left approved",
                          row["draft_id"], row["source"])
                continue
            request = ReplyRequest(
                draft_id=row["draft_id"], platform=row["platform"],
                in_reply_to_id=row["platform_id"], conversation_id=row["conversation_id"],
                text=row["text"], attempted=row["status"] == "posting",
                api_replyable=bool(row["api_replyable"]),
            )
            try:
                if row["status"] == "posting":
                    found = publisher.find_posted(request)
                    if found is not None:
                        drafts.mark_posted(self.store, row["draft_id"], found, self.clock.now())
                        log.info("draft %d was already posted before a restart",
                                 row["draft_id"])
                        posted += 1
                        continue
                if not drafts.mark_posting(self.store, row["draft_id"], self.clock.now()):
                    log.error("draft %d failed: gave up after %d attempts", row["draft_id"],
                              row["attempts"])
                    continue
                result = publisher.publish(request)
            except PostGone as exc:
                drafts.mark_refused(self.store, row["draft_id"], str(exc), None, self.clock.now())
                mentions.redact(self.store, row["mention_id"], str(exc), self.clock.now())
                log.warning("draft %d: the post is gone on %s; mention redacted",
                            row["draft_id"], row["platform"])
                continue
            except PublishRefused as exc:
                drafts.mark_refused(self.store, row["draft_id"], str(exc), exc.manual_url,
                                    self.clock.now())
                log.warning("draft %d refused by %s: %s", row["draft_id"], row["platform"], exc)
                continue
            except (PublishError, ConflictError) as exc:
                drafts.mark_retry(self.store, row["draft_id"], str(exc), self.clock.now())
                log.warning("draft %d not posted, will check and retry: %s", row["draft_id"],
                            exc)
                continue
            drafts.mark_posted(self.store, row["draft_id"], result, self.clock.now())
            posted += 1
        if posted:
            log.info("publishing: %d replies posted", posted)
        return posted

    # --- follow-up ----------------------------------------------------------------------
    def remind_unanswered(self) -> int:
        """Our posted replies the customer has not answered after
        ``responder.reminder_hours`` come back to the queue, once per reply, as a
        reminder draft suggesting a private follow-up; returns how many. Reminders the
        customer has answered since leave the queue."""
        r = self.settings.responder
        if not r.reminder_hours:
            return 0
        now = self.clock.now()
        if closed := drafts.close_answered_reminders(self.store, now):
            log.info("reminders: %d closed, the customer answered", closed)
        made = 0
        due = now - timedelta(hours=r.reminder_hours)
        for row in drafts.unanswered(self.store, due, posted_after=due - REMINDER_WINDOW,
                                     unreminded=True):
            who = address(row["platform"], row["handle"])
            note = (f"Reminder: no answer from {who} {r.reminder_hours:g} h after our reply "
                    f"({row['posted_url'] or row['url']}). Follow up in a private message if "
                    "it helps, then reject this reminder to close it.")
            if drafts.remind(self.store, row["draft_id"], r.reminder_text.format(handle=who),
                             note, now) is not None:
                made += 1
        if made:
            log.info("reminders: %d unanswered replies back in the queue", made)
        return made

    # --- deletions --------------------------------------------------------------------
    def sweep_gone(self) -> int:
        """Redact unanswered mentions whose posts their platform reports deleted (X's
        terms: within 24 hours). Only mentions still waiting for an agent are looked up:
        on X each lookup is a paid post read."""
        now = self.clock.now()
        redacted = 0
        for name, publisher in self.publishers.items():
            rows = mentions.unanswered(self.store, name, now - GONE_WINDOW)
            for start in range(0, len(rows), 100):
                chunk = rows[start:start + 100]
                try:
                    gone = publisher.gone([r["platform_id"] for r in chunk])
                except PublishError as exc:
                    log.warning("deletion check of %s skipped: %s", name, exc)
                    break
                for row in chunk:
                    if row["platform_id"] in gone:
                        mentions.redact(self.store, row["id"],
                                        "the post was deleted on the platform", now)
                        redacted += 1
        if redacted:
            log.info("deletions: %d mentions redacted", redacted)
        return redacted

    # --- metrics ----------------------------------------------------------------------
    def rollup_metrics(self) -> int:
        """Rebuild changed hours, then check for spikes and deliver pending alerts."""
        now = self.clock.now()
        updated = refresh_metrics(self.store, now, self.settings.sla.first_response_minutes)
        log.info("metrics: %d hours rebuilt", updated)
        reporting.check_spikes(self.store, self.settings, now)
        reporting.send_alerts(self.store, self.settings, now)
        return updated

    def daily_digest(self) -> list[str]:
        return reporting.write_digests(self.store, self.settings, self.clock.now())

    def run_once(self) -> None:
        """Every stage once, in order: `main.py poll --once`, and tests."""
        for name in self.sources:
            self.poll_source(name)
        while self.triage_batch():
            pass
        while self.draft_batch():
            pass
        self.publish_batch()
        self.rollup_metrics()
