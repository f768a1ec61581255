"""Hourly rollups per hour x brand x platform x topic x language, from fact rows (pure).

Every number is attributed to the hour the *mention* was created, so a late reply or
a late approval changes that old hour (the store marks it dirty and it is rebuilt).
Rollups keep counts, sums and fixed-bucket histograms rather than only medians, so
that any range of hours can be summed and its percentiles estimated without the raw
mentions, which may be purged.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

KEY = ("hour", "brand", "platform", "topic", "lang")
# Upper bounds (seconds) of the duration histogram buckets; the last bucket is open.
EDGES: tuple[int, ...] = (300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400)
BUCKET_LABELS: tuple[str, ...] = ("≤5m", "5–15m", "15–30m", "30m–1h", "1–2h", "2–4h", "4–8h",
                                  "8–24h", ">24h")
FRT_BUCKETS = tuple(f"frt_h{i}" for i in range(len(EDGES) + 1))
APPROVAL_BUCKETS = tuple(f"appr_h{i}" for i in range(len(EDGES) + 1))
TOP_AUTHORS = 5
UNTRIAGED = "-"  # topic of a mention the model has not seen yet
NO_LANG = "und"
APPROVED = ("approved", "posting", "posted", "failed", "refused")


@dataclass(frozen=True)
class MentionFact:
    """One mention as the rollup sees it.

    ``waited_s``: seconds to our first public reply (None: unanswered);
    ``age_s``: seconds from creation to the refresh (for open SLA breaches).
    """

    hour: str  # "2026-11-23T09" (UTC)
    brand: str
    platform: str
    topic: str
    lang: str
    label: str | None  # None: not triaged yet
    complaint: bool
    needs_reply: bool  # triage said so and no agent closed it without a reply
    handle: str
    followers: int
    waited_s: float | None
    age_s: float


@dataclass(frozen=True)
class DraftFact:
    """One draft, keyed by its mention's cell: how it was decided and how fast."""

    hour: str
    brand: str
    platform: str
    topic: str
    lang: str
    status: str
    edited: bool  # an agent changed the text before deciding (the audit log says so)
    approval_s: float | None  # draft created -> approved


def bucket(seconds: float) -> int:
    """Index of the histogram bucket holding ``seconds``."""
    for i, edge in enumerate(EDGES):
        if seconds <= edge:
            return i
    return len(EDGES)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in (0, 1]): a value that really occurred."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def histogram_percentile(counts: Sequence[int], p: float) -> float | None:
    """Estimate a percentile from bucket counts, linear within the bucket.

    The open last bucket answers with its lower bound (">24h" reads as 24h).
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = p * total
    seen = 0
    for i, n in enumerate(counts):
        if n and seen + n >= rank:
            low = EDGES[i - 1] if i else 0
            if i == len(EDGES):
                return float(low)
            return low + (EDGES[i] - low) * (rank - seen) / n
        seen += n
    return float(EDGES[-1])


def _cell(fact: MentionFact | DraftFact) -> tuple[str, str, str, str, str]:
    return (fact.hour, fact.brand, fact.platform, fact.topic or UNTRIAGED, fact.lang or NO_LANG)


def _empty(cell: tuple[str, ...]) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(KEY, cell, strict=True))
    row.update({k: 0 for k in (
        "volume", "negative", "neutral", "positive", "complaints", "needs_reply", "answered",
        "replies", "sla_breaches", "frt_sum_s", "approvals", "approval_sum_s",
        "accepted_unedited", "accepted_edited", "rejected", "reach",
        *FRT_BUCKETS, *APPROVAL_BUCKETS)})
    row.update(frt_median_s=None, frt_p90_s=None, approval_median_s=None,
               approval_p90_s=None)
    return row


def rollup(mentions: Iterable[MentionFact], drafts: Iterable[DraftFact], sla_s: float,
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(hourly rows, top-author rows) for every cell that has a mention or a draft.

    A needs-reply mention breaches the SLA when its first reply came later than
    ``sla_s``, or when it is still unanswered and older than that.
    """
    rows: dict[tuple[str, ...], dict[str, Any]] = {}
    waits: dict[tuple[str, ...], list[float]] = defaultdict(list)
    approvals: dict[tuple[str, ...], list[float]] = defaultdict(list)
    authors: dict[tuple[str, ...], dict[str, list[int]]] = defaultdict(dict)

    for m in mentions:
        cell = _cell(m)
        row = rows.setdefault(cell, _empty(cell))
        row["volume"] += 1
        if m.label in ("negative", "neutral", "positive"):
            row[m.label] += 1
        row["complaints"] += bool(m.complaint)
        row["reach"] += m.followers
        seen = authors[cell].setdefault(m.handle, [m.followers, 0])
        seen[0], seen[1] = max(seen[0], m.followers), seen[1] + 1
        if m.waited_s is not None:
            row["replies"] += 1
            row["frt_sum_s"] += m.waited_s
            row[FRT_BUCKETS[bucket(m.waited_s)]] += 1
            waits[cell].append(m.waited_s)
        if m.needs_reply:
            row["needs_reply"] += 1
            row["answered"] += m.waited_s is not None
            late = m.waited_s > sla_s if m.waited_s is not None else m.age_s > sla_s
            row["sla_breaches"] += late

    for d in drafts:
        cell = _cell(d)
        row = rows.setdefault(cell, _empty(cell))
        if d.status in APPROVED and d.approval_s is not None:
            row["approvals"] += 1
            row["approval_sum_s"] += d.approval_s
            row[APPROVAL_BUCKETS[bucket(d.approval_s)]] += 1
            approvals[cell].append(d.approval_s)
            row["accepted_edited" if d.edited else "accepted_unedited"] += 1
        elif d.status == "rejected":
            row["rejected"] += 1

    for cell, row in rows.items():
        if waits[cell]:
            row["frt_median_s"] = statistics.median(waits[cell])
            row["frt_p90_s"] = percentile(waits[cell], 0.9)
        if approvals[cell]:
            row["approval_median_s"] = statistics.median(approvals[cell])
            row["approval_p90_s"] = percentile(approvals[cell], 0.9)

    top = []
    for cell, by_handle in authors.items():
        ranked = sorted(by_handle.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_AUTHORS]
        top += [{**dict(zip(KEY, cell, strict=True)), "handle": handle, "followers": f,
                 "mentions": n} for handle, (f, n) in ranked]
    return [rows[c] for c in sorted(rows)], top


def net_sentiment(positive: int, negative: int, neutral: int) -> float:
    """(positive - negative) / triaged, in [-1, 1]; 0 when nothing is triaged."""
    triaged = positive + negative + neutral
    return round((positive - negative) / triaged, 3) if triaged else 0.0


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 3) if whole else None
