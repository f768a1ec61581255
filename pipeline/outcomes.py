"""The outcomes job: decide what happened after our replies, and let it move the queue.

Runs after triage (the customer's new message must be triaged first, so the queue
change lands on a triaged row): conversations whose customer wrote after our latest
reply are decided by the rules and the learned head (``sentiment.outcomes``); those
silent for ``pipeline.outcome_wait_hours`` get ``no_answer``. ``store.outcomes.save``
stores each decision with its evidence and acts on it (reopen at the top of the
approving agent's queue, or close) in the same transaction, so a crash repeats nothing
half-done. docs/outcomes-guide.md says what each outcome means.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from config.settings import Settings
from sentiment.outcomes import NO_ANSWER, Exchange, OutcomeDecider
from store import outcomes as outcome_store
from store.db import Store

log = logging.getLogger(__name__)

# Replies posted longer ago than this are history: turning outcomes on does not judge
# a year of old conversations, and each run reads a bounded set.
OUTCOME_WINDOW = timedelta(days=30)


def decide_outcomes(store: Store, decider: OutcomeDecider | None, settings: Settings,
                    now: datetime, limit: int = 500) -> dict[str, int]:
    """Decide every due conversation (up to ``limit``); returns counts per outcome and
    per queue effect. Without a decider (no outcome head) only silence is decided."""
    wait = settings.pipeline.outcome_wait_hours
    due = outcome_store.pending(store, now, now - timedelta(hours=wait), now - OUTCOME_WINDOW,
                                limit)
    spoken = [p for p in due if p.follow_up is not None] if decider else []
    silent = [p for p in due if p.follow_up is None]
    records = [outcome_store.Outcome(p, NO_ANSWER, f"no answer {wait:g} h after our reply")
               for p in silent]
    if spoken:
        assert decider is not None
        decisions = decider.decide([Exchange(customer=p.follow_up["text"], reply=p.reply,
                                             first=p.first_text) for p in spoken])
        records += [outcome_store.Outcome(
            p, d.outcome, d.reason, words=d.words,
            probabilities={k: round(v, 4) for k, v in d.scores.items()},
            satisfaction=d.satisfaction, satisfaction_score=round(d.satisfaction_score, 3),
            satisfaction_scores={k: round(v, 4) for k, v in d.satisfaction_scores.items()},
            sentiment_change=None if d.sentiment_change is None
            else round(d.sentiment_change, 3),
            model_version=decider.version) for p, d in zip(spoken, decisions, strict=True)]
    if not records:
        return {}
    counts = outcome_store.save(store, records, now)
    for record in records:
        counts[record.outcome] = counts.get(record.outcome, 0) + 1
    log.info("outcomes: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v))
    return counts
