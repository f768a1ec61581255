"""One method per stage. Each reads what the previous stage stored and writes its
result in one transaction, so a crash anywhere loses and repeats nothing: the next
run picks up the rows still in the earlier state. No stage calls the next."""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from config.settings import Settings
from core.backoff import RetryPolicy
from core.clock import Clock, from_iso
from core.errors import (
    AuthError,
    ConflictError,
    MentiondeskError,
    ModelError,
    PostGone,
    PublishError,
    PublishRateLimited,
    PublishRefused,
    RateLimited,
    SourceError,
)
from core.reply import ReplyRequest
from core.words import counted
from listener.base import MentionSource, Publisher
from listener.platforms import address
from metrics.rollup import DraftFact, MentionFact, rollup
from pipeline import reporting, telemetry
from pipeline.outcomes import decide_outcomes
from pipeline.replies import Replies
from sentiment.adapt import desk_model
from sentiment.batch import Item, triage_items
from sentiment.classifier import Classifier
from sentiment.embedding import Embedder
from sentiment.encoder import EncoderClassifier
from sentiment.outcomes import OutcomeDecider
from sentiment.roles import ThreadFacts
from sentiment.topics import TopicFinder
from sentiment.transformer import model_directory
from store import mentions, operations, publishing, reminders, set_aside, sources
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


def _owner() -> str:
    """Who holds a publishing lease: this host and process, unique per start."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


ROW_ERRORS = (MentiondeskError, ValueError, TypeError, KeyError)  # one bad row's failures
CANARY = "thanks, all good"  # a text any working model classifies


@dataclass
class Pipeline:
    store: Store
    settings: Settings
    classifier: Classifier
    sources: dict[str, MentionSource]
    publishers: dict[str, Publisher]
    clock: Clock
    rng: random.Random = field(default_factory=random.Random)  # back-off jitter
    owner: str = field(default_factory=_owner)
    embedder: Embedder | None = None  # the knowledge base and past replies need it
    topic_finder: TopicFinder | None = None  # topic by meaning; None: by keywords
    outcome_decider: OutcomeDecider | None = None  # None: only silence (no_answer) decided

    def __post_init__(self) -> None:
        self.replies = Replies(self.settings, self.embedder)
        for name, source in self.sources.items():
            sources.ensure(self.store, name, source.platform)
            if sources.paused_kind(self.store, name) == sources.AUTH:
                # A restart is how an operator says credentials were fixed.
                sources.clear_pause(self.store, name)

    # --- the model -------------------------------------------------------------------
    def reload_model(self) -> str:
        """Serve this desk's current model from the next triage batch on, without a
        restart (SIGHUP, ``systemctl reload``): what ``model adapt`` switched to, or the
        shipped heads once ``models/CURRENT`` is removed. Only heads, thresholds and
        version change this way: the networks, the sentence vectors and everything built
        on them (topics, knowledge base) stay. Returns the line to log; raises
        ``ModelError`` (the model in use goes on) for a model only a restart can serve."""
        wanted = desk_model(self.settings)
        served = self.classifier
        directory = model_directory(wanted.name)
        if not isinstance(served, EncoderClassifier) or directory is None:
            raise ModelError(f"model {wanted.name!r} is not served from ONNX files: "
                             "restart the daemon to change it")
        fresh = served.reloaded(directory, name=wanted.name)
        if fresh.version == served.version:
            return f"reload: model {served.name} version {served.version} unchanged"
        self.classifier = fresh
        return (f"reload: now serving model {fresh.name} version {fresh.version} "
                f"(was {served.name} version {served.version})")

    # --- listening --------------------------------------------------------------------
    def poll_source(self, name: str) -> int:
        """Poll one source; returns how many new mentions were stored."""
        now = self.clock.now()
        until, reason = sources.paused_until(self.store, name)
        if until and until > now:
            log.debug("source %s paused until %s: %s", name, until, reason)
            telemetry.POLLS.labels(name, "paused").inc()
            return 0
        source = self.sources[name]
        try:
            result = source.poll(sources.get_cursor(self.store, name))
        except SourceError as exc:
            self._source_failed(name, exc, now)
            return 0
        for note in result.notes:
            log.warning("source %s: %s", name, note)
        brand = self.settings.sources_by_name()[name].brand
        new = mentions.save_poll(self.store, name, brand, result.mentions, result.cursor,
                                 self.clock.now(), requests=result.requests)
        telemetry.POLLS.labels(name, "ok").inc()
        telemetry.MENTIONS.labels(name).inc(new)
        if result.retry_at:  # rate limited part-way: what was read is kept, go on later
            sources.pause(self.store, name, result.retry_at, "rate limited part-way",
                          self.clock.now(), kind=sources.RATE)
        # A poll that stored nothing is DEBUG: an idle source is no news every interval
        # (/health and doctor keep each source's last success and counts).
        log.log(logging.INFO if new else logging.DEBUG, "poll %s: %d fetched, %d new, %s",
                name, len(result.mentions), new, counted(result.requests, "API request"))
        return new

    def _source_failed(self, name: str, exc: SourceError, now: datetime) -> None:
        """Pause on a rate limit or refused credentials; otherwise retry next interval."""
        telemetry.POLLS.labels(name, "error").inc()
        telemetry.ERRORS.labels("poll", type(exc).__name__).inc()
        if isinstance(exc, RateLimited):
            sources.pause(self.store, name, exc.reset_at, f"rate limited: {exc}", now,
                          kind=sources.RATE)
            log.warning("source %s rate limited until %s", name, exc.reset_at.isoformat())
        elif isinstance(exc, AuthError):
            sources.pause(self.store, name, now + AUTH_PAUSE, f"auth: {exc}", now,
                          kind=sources.AUTH)
            log.error("source %s paused: credentials refused (%s); fix them and restart",
                      name, exc)
        else:
            sources.record_error(self.store, name, str(exc), now)
            log.warning("source %s failed, will retry next interval: %s", name, exc)

    def _set_aside(self, stage: str, row: dict, reason: str) -> None:
        set_aside.hold(self.store, stage, row["id"], reason, self.clock.now(), row["source"])
        telemetry.SET_ASIDE.labels(stage).inc()
        log.error("%s: mention %s set aside (main.py doctor lists it): %s", stage, row["id"],
                  reason)

    # --- triage -----------------------------------------------------------------------
    def triage_batch(self) -> int:
        """Triage up to ``triage_batch_size`` new mentions; a row that cannot be triaged
        (unknown brand, unreadable fields, a text the model fails on) is set aside."""
        started = time.perf_counter()
        rows = mentions.untriaged(self.store, self.settings.pipeline.triage_batch_size)
        if not rows:
            return 0
        now = self.clock.now()
        kept, items = [], []
        for row in rows:
            try:
                items.append(self._item(row, now))
                kept.append(row)
            except ROW_ERRORS as exc:
                self._set_aside("triage", row, f"{type(exc).__name__}: {exc}")
        classifier = self.classifier  # one model per batch, whatever a reload swaps in
        results = self._triage_items(classifier, kept, items)
        if results is None:
            return 0
        records = [
            mentions.TriageRecord(
                mention_id=row["id"], label=prediction.label, scores=prediction.scores,
                complaint=t.complaint, needs_reply=t.needs_reply, optional=t.optional,
                reason=t.reason, topic=t.topic, priority=t.priority, factors=t.factors,
                model_name=classifier.name, model_version=classifier.version,
                spam=t.spam, sarcasm=t.sarcasm, language=t.language, role=t.role,
                heads={k: round(v, 4) for k, v in prediction.heads.items()}, rules=t.rules,
            )
            for row, result in zip(kept, results, strict=True) if result is not None
            for prediction, t in [result]
        ]  # fmt: skip
        mentions.save_triage(self.store, records, now)
        needing = sum(r.needs_reply for r in records)
        telemetry.TRIAGED.inc(len(records))
        telemetry.TRIAGE_SECONDS.observe(time.perf_counter() - started)
        log.info("triage: %s, %d needing a reply", counted(len(records), "mention"), needing)
        return len(rows)

    def _item(self, row: dict, now: datetime) -> Item:
        """What triage needs of a stored mention; raises for a row it cannot use (a brand
        renamed away, an unreadable time)."""
        brand = self.settings.brand(row["brand"])
        return Item(
            text=row["text"], brand=brand, followers=row["author_followers"],
            age_minutes=(now - from_iso(row["created_at"])).total_seconds() / 60,
            author=row["author_handle"], platform_lang=row["lang"],
            thread=ThreadFacts(**mentions.thread_facts(self.store, row)),
            # Spoken to the way the platform writes it, too (Reddit: u/handle).
            addressed_as=tuple(address(row["platform"], h) for h in brand.handles))

    def _triage_items(self, classifier: Classifier, rows: list[dict], items: list[Item]
                      ) -> list | None:
        """The whole batch at once; if that fails, item by item, so only the rows the
        model (or triage) fails on are set aside. A model that fails on a plain canary
        text is broken: nothing is the rows' fault, so they wait (None)."""
        def run(batch: list[Item]) -> list:
            return triage_items(batch, classifier, self.settings, self.topic_finder)

        try:
            return run(items)
        except ROW_ERRORS as exc:
            telemetry.ERRORS.labels("triage", type(exc).__name__).inc()
            log.warning("triage batch failed (%s); triaging one by one", exc)
        try:
            classifier.classify([CANARY])
        except ModelError as exc:
            log.error("triage skipped: %s", exc)
            return None
        results: list = []
        for row, item in zip(rows, items, strict=True):
            try:
                results.append(run([item])[0])
            except ROW_ERRORS as exc:
                results.append(None)
                self._set_aside("triage", row, f"{type(exc).__name__}: {exc}")
        return results

    # --- drafting ---------------------------------------------------------------------
    def draft_batch(self) -> int:
        handled = self.replies.draft_batch(self.store, self.clock.now(),
                                           self.settings.pipeline.batch_size)
        telemetry.DRAFTED.inc(handled)
        return handled

    # --- publishing -------------------------------------------------------------------
    def publish_batch(self) -> int:
        """Post approved drafts, each under this process's lease. A draft an earlier
        attempt may have posted is first checked against the platform, so each approved
        reply goes out exactly once, however many processes publish."""
        posted = 0
        p = self.settings.pipeline
        ready = self.clock.now() - timedelta(seconds=p.undo_seconds)
        for row in publishing.to_publish(self.store, p.batch_size, self.clock.now(),
                                     approved_before=ready):
            publisher = self.publishers.get(row["source"])
            if publisher is None:
                log.error("draft %d: source %s is no longer configured; left approved",
                          row["draft_id"], row["source"])
                continue
            attempt = publishing.mark_posting(
                self.store, row["draft_id"], self.clock.now(), owner=self.owner,
                lease_seconds=p.publish_lease_seconds, max_attempts=p.publish_max_attempts)
            if attempt is None:
                continue  # another process holds it, or it changed since the read
            request = ReplyRequest(
                draft_id=row["draft_id"], platform=row["platform"],
                in_reply_to_id=row["platform_id"], conversation_id=row["conversation_id"],
                text=row["text"], attempted=row["status"] == "posting",
                api_replyable=bool(row["api_replyable"]),
            )
            outcome = self._attempt(publisher, request, attempt, row["source"])
            telemetry.PUBLISH.labels(row["platform"], outcome).inc()
            posted += outcome in ("posted", "found")
        if posted:
            log.info("publishing: %s posted", counted(posted, "reply"))
        return posted

    def _attempt(self, publisher: Publisher, request: ReplyRequest, attempt: publishing.Attempt,
                 source: str) -> str:
        """One leased attempt: check if needed, post if allowed; returns the outcome."""
        draft_id = request.draft_id
        try:
            if attempt.check_first:
                found = publisher.find_posted(request)
                if found is not None:
                    publishing.mark_posted(self.store, draft_id, found, self.clock.now())
                    log.info("draft %d was already posted by an earlier attempt", draft_id)
                    return "found"
            if attempt.last:
                publishing.mark_failed(self.store, draft_id, self.clock.now())
                log.error("draft %d failed: gave up after %d attempts", draft_id,
                          attempt.attempts - 1)
                return "failed"
            result = publisher.publish(request)
        except PublishRateLimited as exc:
            now = self.clock.now()
            publishing.pause_publishing(self.store, source, exc.reset_at)
            publishing.mark_retry(self.store, draft_id, str(exc), exc.reset_at, now,
                              owner=self.owner, counted=False)
            log.warning("posting on %s paused until %s: %s", source, exc.reset_at, exc)
            return "rate_limited"
        except PostGone as exc:
            publishing.mark_refused(self.store, draft_id, str(exc), None, self.clock.now())
            mentions.redact(self.store, attempt.mention_id, str(exc), self.clock.now())
            log.warning("draft %d: the post is gone on %s; mention redacted", draft_id,
                        request.platform)
            return "gone"
        except PublishRefused as exc:
            publishing.mark_refused(self.store, draft_id, str(exc), exc.manual_url,
                                self.clock.now())
            log.warning("draft %d refused by %s: %s", draft_id, request.platform, exc)
            return "refused"
        except (PublishError, ConflictError) as exc:
            now = self.clock.now()
            retry_at = now + self._backoff(attempt.attempts)
            publishing.mark_retry(self.store, draft_id, str(exc), retry_at, now, owner=self.owner)
            telemetry.ERRORS.labels("publish", type(exc).__name__).inc()
            log.warning("draft %d not posted (attempt %d), will check and retry at %s: %s",
                        draft_id, attempt.attempts, retry_at.isoformat(timespec="seconds"), exc)
            return "retry"
        publishing.mark_posted(self.store, draft_id, result, self.clock.now())
        return "posted"

    def _backoff(self, attempts: int) -> timedelta:
        """The one back-off (core.backoff) after ``attempts`` attempts, so retries spread
        out over an outage; the jitter comes from the pipeline's injected ``rng``."""
        p = self.settings.pipeline
        policy = RetryPolicy(backoff=p.publish_retry_seconds,
                             max_backoff=p.publish_retry_max_seconds, rng=self.rng)
        return timedelta(seconds=policy.delay(attempts - 1))

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
        if closed := reminders.close_answered_reminders(self.store, now):
            log.info("reminders: %d closed, the customer answered", closed)
        made = 0
        due = now - timedelta(hours=r.reminder_hours)
        for row in reminders.unanswered(self.store, due, posted_after=due - REMINDER_WINDOW,
                                     unreminded=True):
            who = address(row["platform"], row["handle"])
            note = (f"Reminder: no answer from {who} {r.reminder_hours:g} h after our reply "
                    f"({row['posted_url'] or row['url']}). Follow up in a private message if "
                    "it helps, then reject this reminder to close it.")
            if reminders.remind(self.store, row["draft_id"], r.reminder_text.format(handle=who),
                             note, now) is not None:
                made += 1
        if made:
            log.info("reminders: %d unanswered replies back in the queue", made)
        return made

    def decide_outcomes(self) -> int:
        """Outcomes of conversations whose customer wrote back or went silent (and the
        queue changes they make: pipeline/outcomes.py); returns how many were decided."""
        counts = decide_outcomes(self.store, self.outcome_decider, self.settings,
                                 self.clock.now())
        return sum(v for k, v in counts.items() if k not in ("reopened", "closed"))

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
            log.info("deletions: %s redacted", counted(redacted, "mention"))
        return redacted

    # --- metrics ----------------------------------------------------------------------
    def rollup_metrics(self) -> int:
        """Rebuild changed hours, then check for spikes and deliver pending alerts."""
        now = self.clock.now()
        updated = refresh_metrics(self.store, now, self.settings.sla.first_response_minutes)
        log.info("metrics: %s rebuilt", counted(updated, "hour"))
        reporting.check_spikes(self.store, self.settings, now)
        reporting.send_alerts(self.store, self.settings, now)
        return updated

    def purge_raw(self) -> int:
        """Retention: drop raw payloads older than ``app.raw_retention_days`` (0 keeps)."""
        days = self.settings.app.raw_retention_days
        purged = operations.purge_raw(self.store, days, self.clock.now()) if days else 0
        if purged:
            log.info("retention: dropped the raw payloads of %s", counted(purged, "mention"))
        return purged

    def daily_digest(self) -> list[str]:
        return reporting.write_digests(self.store, self.settings, self.clock.now())

    def run_once(self) -> None:
        """Every stage once, in order: `main.py poll --once`, and tests."""
        for name in self.sources:
            self.poll_source(name)
        while self.triage_batch():
            pass
        self.decide_outcomes()
        while self.draft_batch():
            pass
        self.publish_batch()
        self.rollup_metrics()
