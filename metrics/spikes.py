"""Spike detection against the same hour on previous days, and the alert message (pure).

A count is a spike when it reaches every one of: the minimum count, ``ratio`` times
the baseline mean, and the baseline mean plus ``sigma`` standard deviations. The
current hour is still filling while it is checked, so a spike is caught as soon as
it crosses the line, and a quiet start of an hour never looks like a drop.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

KINDS = ("negative", "volume")
KIND_NAMES = {"negative": "negative mentions", "volume": "mentions"}


@dataclass(frozen=True)
class Rule:
    min_count: int
    ratio: float
    sigma: float
    min_days: int  # baseline days needed before any alert (a new brand has no normal yet)


@dataclass(frozen=True)
class Finding:
    kind: str
    count: int
    mean: float
    threshold: float
    days: int


def threshold(history: Sequence[int], rule: Rule) -> float:
    mean = statistics.fmean(history) if history else 0.0
    sd = statistics.pstdev(history) if len(history) > 1 else 0.0
    return max(float(rule.min_count), rule.ratio * mean, mean + rule.sigma * sd)


def check(count: int, history: Sequence[int], rule: Rule, kind: str) -> Finding | None:
    """The finding if ``count`` is a spike against ``history`` (one value per day)."""
    if len(history) < rule.min_days:
        return None
    line = threshold(history, rule)
    if count < line:
        return None
    return Finding(kind, count, round(statistics.fmean(history), 1), round(line, 1),
                   len(history))


def cooled_down(last_alert: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    return last_alert is None or now - last_alert >= cooldown


def message(brand: str, hour: str, findings: Sequence[Finding],
            examples: Sequence[dict[str, Any]], link: str) -> dict[str, Any]:
    """A Slack-compatible webhook body: ``text`` for any receiver, ``blocks`` for Slack."""
    lines = [f"{f.count} {KIND_NAMES[f.kind]} so far (usually {f.mean:g} in this hour over "
             f"the last {f.days} days; alert line {f.threshold:g})" for f in findings]
    title = f"Spike for {brand} in the hour from {hour.replace('T', ' ')}:00 UTC"
    quoted = [f"> @{e['handle']} ({e['platform']}, {e['followers']:,} followers): "
              f"{_short(e['text'])}" for e in examples]
    text = "\n".join([f":rotating_light: {title}", *lines, *quoted,
                      f"The negative mentions: {link}"])
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        *({"type": "section", "text": {"type": "mrkdwn", "text": q}} for q in quoted),
        {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|The negative mentions>"}},
    ]
    return {"text": text, "blocks": blocks}


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
