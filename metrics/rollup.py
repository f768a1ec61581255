"""Hourly rollups per brand and platform, from one fact row per mention (pure)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Hourly:
    hour: str  # "2026-11-23T09"
    brand: str
    platform: str
    volume: int
    negative: int
    neutral: int
    positive: int
    net_sentiment: float  # (positive - negative) / triaged, in [-1, 1]
    complaints: int
    needs_reply: int
    replies: int
    median_first_response_s: float | None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def rollup(facts: list[dict[str, Any]]) -> list[Hourly]:
    """``facts``: hour, brand, platform, label (None if untriaged), complaint,
    needs_reply, first_response_s (None if not replied)."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        groups[(fact["hour"], fact["brand"], fact["platform"])].append(fact)
    out = []
    for (hour, brand, platform), rows in sorted(groups.items()):
        labels = [r["label"] for r in rows]
        neg, neu, pos = (labels.count(x) for x in ("negative", "neutral", "positive"))
        triaged = neg + neu + pos
        responses = [r["first_response_s"] for r in rows if r["first_response_s"] is not None]
        out.append(Hourly(
            hour=hour, brand=brand, platform=platform, volume=len(rows),
            negative=neg, neutral=neu, positive=pos,
            net_sentiment=round((pos - neg) / triaged, 3) if triaged else 0.0,
            complaints=sum(1 for r in rows if r["complaint"]),
            needs_reply=sum(1 for r in rows if r["needs_reply"]),
            replies=len(responses),
            median_first_response_s=statistics.median(responses) if responses else None,
        ))
    return out
