"""Counters the daemon's jobs keep for ``/metrics`` (Prometheus text format).

Process-wide, like the process they describe: the web server in the daemon's process
exposes them; gauges read from the database (queue depths, drafts by state) are added
at scrape time by ``web/ops.py``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

POLLS = Counter("mentiondesk_polls", "Source polls by outcome",
                ["source", "outcome"], registry=REGISTRY)
MENTIONS = Counter("mentiondesk_mentions_stored", "New mentions stored",
                   ["source"], registry=REGISTRY)
ERRORS = Counter("mentiondesk_errors", "Errors by kind (the exception class)",
                 ["stage", "kind"], registry=REGISTRY)
SET_ASIDE = Counter("mentiondesk_set_aside", "Rows set aside by stage",
                    ["stage"], registry=REGISTRY)
TRIAGED = Counter("mentiondesk_triaged", "Mentions triaged", registry=REGISTRY)
TRIAGE_SECONDS = Histogram(
    "mentiondesk_triage_batch_seconds", "Time to classify and store one triage batch",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60), registry=REGISTRY)
DRAFTED = Counter("mentiondesk_drafted", "Mentions the drafting stage handled (drafted, held "
                  "or set aside)", registry=REGISTRY)
PUBLISH = Counter("mentiondesk_publish_outcomes", "Posting attempts by outcome",
                  ["platform", "outcome"], registry=REGISTRY)
AI_DRAFTS = Counter("mentiondesk_ai_drafts", "AI draft attempts by outcome (offered, refused, "
                    "failed, retry)", ["outcome"], registry=REGISTRY)
