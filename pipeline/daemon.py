"""The scheduler: a job per source and a job per stage, and a clean, quick stop."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from core.errors import MentiondeskError
from core.words import counted
from pipeline.ai_drafts import AiDrafter
from pipeline.jobs import Pipeline

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 4.0
RETENTION_INTERVAL_S = 3600.0
DRAIN_BUDGET_S = 30.0
DIGEST_CHECK_SECONDS = 60  # the digest job writes only when a local day's digest is due
REMINDER_CHECK_SECONDS = 300  # unanswered replies are due by the hour; minutes late is fine


class Service(Protocol):
    """Something the daemon runs beside its jobs (the web inbox, a sandbox)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


def _guarded(name: str, job: Callable[[], object]) -> Callable[[], None]:
    """A job that logs its failure in one line and lets the next run try again."""

    def run() -> None:
        try:
            job()
        except MentiondeskError as exc:
            log.error("job %s failed: %s", name, exc)
        except Exception:
            log.exception("job %s crashed; it runs again at its next interval", name)

    run.__name__ = name
    return run


def drain(job: Callable[[], int], budget_s: float = DRAIN_BUDGET_S) -> Callable[[], int]:
    """Run a batch job again while it finds work, for up to ``budget_s``: a backlog
    (a first start, a spike) is worked through in one tick instead of one batch per
    interval. Each batch commits on its own, so a stop mid-way loses nothing."""

    def run() -> int:
        deadline = time.monotonic() + budget_s
        done = 0
        while time.monotonic() < deadline:
            n = job()
            done += n
            if not n:
                break
        return done

    return run


class Relay:
    """Wakes the next stage when one did work: a stored mention is triaged, and a
    triaged one drafted, at once instead of at the next tick of each job's interval
    (up to 5 s + 5 s). A stage already running is not woken (its drain goes on while
    it finds rows; waking it would only log a skipped run)."""

    def __init__(self) -> None:
        self.scheduler: Any = None  # set once the scheduler exists
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def stage(self, name: str, job: Callable[[], int], wakes: str) -> Callable[[], int]:
        """``job`` marked running while it runs; when it did work it wakes ``wakes``
        (none: "")."""
        def run() -> int:
            with self._lock:
                self._running.add(name)
            try:
                done = job()
            finally:
                with self._lock:
                    self._running.discard(name)
            if done and wakes:
                self.wake(wakes)
            return done

        return run

    def wake(self, name: str) -> None:
        with self._lock:
            if name in self._running or self.scheduler is None:
                return
        with contextlib.suppress(JobLookupError):  # stopping, or not scheduled
            self.scheduler.modify_job(name, next_run_time=datetime.now(UTC))


RELAYED = ("triage", "draft")  # the stages the relay wakes (see build_scheduler)


class _RelaySkips(logging.Filter):
    """Drops apscheduler's "skipped: maximum number of running instances" warning for
    a relayed stage: a wake that meets a run already started (it was submitted but had
    not marked itself running yet) is skipped, and the running stage drains the new
    rows anyway. A poll or publish run still going at its next tick keeps its warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not ("maximum number of running instances" in str(record.msg)
                    and getattr(job, "id", None) in RELAYED)


_RELAY_SKIPS = _RelaySkips()


def build_scheduler(pipeline: Pipeline, ai: AiDrafter | None = None) -> BackgroundScheduler:
    """Every job on its interval. ``ai`` (when AI drafts are on) is a job of its own, so
    a slow model holds one worker and never delays triage, drafting or publishing."""
    settings = pipeline.settings
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone="UTC",
    )
    now = pipeline.clock.now()
    relay = Relay()

    def add(name: str, job: Callable[[], object], seconds: float) -> None:
        # name: apscheduler's own log lines say "triage", not "_guarded.<locals>.run".
        scheduler.add_job(_guarded(name, job), "interval", seconds=seconds, id=name,
                          name=name, next_run_time=now)

    for source in settings.sources:
        add(f"poll:{source.name}", relay.stage(
            f"poll:{source.name}", lambda n=source.name: pipeline.poll_source(n), "triage"),
            source.interval_seconds)
    p = settings.pipeline
    add("triage", relay.stage("triage", drain(pipeline.triage_batch), "draft"),
        p.triage_interval_seconds)
    add("draft", relay.stage("draft", drain(pipeline.draft_batch), ""),
        p.draft_interval_seconds)
    if ai is not None:
        add("ai_drafts", lambda: ai.run_batch(pipeline.store), p.draft_interval_seconds)
    add("publish", pipeline.publish_batch, p.publish_interval_seconds)
    add("outcomes", pipeline.decide_outcomes, p.outcome_interval_seconds)
    add("metrics", pipeline.rollup_metrics, settings.metrics.rollup_interval_seconds)
    if settings.app.raw_retention_days:
        add("retention", pipeline.purge_raw, RETENTION_INTERVAL_S)
    add("digest", pipeline.daily_digest, DIGEST_CHECK_SECONDS)
    add("gone", pipeline.sweep_gone, p.gone_check_interval_seconds)
    if settings.responder.reminder_hours:
        add("reminders", pipeline.remind_unanswered, REMINDER_CHECK_SECONDS)
    relay.scheduler = scheduler
    logging.getLogger("apscheduler.scheduler").addFilter(_RELAY_SKIPS)  # once: same object
    return scheduler


def run(pipeline: Pipeline, stop: threading.Event, services: list[Service],
        ai: AiDrafter | None = None) -> None:
    """Run until ``stop`` is set (SIGTERM, Ctrl-C), then stop within ~5 seconds.

    Each stage commits whole units of work, so a job cut short loses nothing: its
    transaction rolls back and the next start redoes it.
    """
    scheduler = build_scheduler(pipeline, ai)
    for service in services:
        service.start()
    scheduler.start()
    log.info("daemon running: %s, jobs %s", counted(len(pipeline.sources), "source"),
             ", ".join(job.id for job in scheduler.get_jobs()))
    stop.wait()
    log.info("stopping")
    scheduler.pause()
    deadline = time.monotonic() + STOP_TIMEOUT_S  # systemd's TimeoutStopSec is 5
    stopper = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    stopper.start()
    for service in services:
        service.stop()
    stopper.join(max(0.0, deadline - time.monotonic()))
    if stopper.is_alive():
        log.warning("a job was still running at stop; its unfinished work is redone on start")
    log.info("stopped")
