"""Headline figures derived from summed rollup columns (pure): shares, net sentiment,
rates, percentiles from the histograms, and a period against the previous one."""

from __future__ import annotations

from typing import Any

from metrics.rollup import APPROVAL_BUCKETS, FRT_BUCKETS, histogram_percentile, net_sentiment, ratio

# (key, label, kind): kind picks formatting and whether "up" is good news.
KPIS: list[tuple[str, str, str]] = [
    ("volume", "Mentions", "count"),
    ("negative", "Negative", "count"),
    ("neutral", "Neutral", "count"),
    ("positive", "Positive", "count"),
    ("negative_share", "Negative share", "share"),
    ("positive_share", "Positive share", "share"),
    ("net_sentiment", "Net sentiment", "score"),
    ("complaints", "Complaints", "count"),
    ("needs_reply", "Needing a reply", "count"),
    ("replies", "Replies", "count"),
    ("response_rate", "Response rate", "share"),
    ("frt_median_min", "Median first response (min)", "minutes"),
    ("frt_p90_min", "p90 first response (min)", "minutes"),
    ("sla_breaches", "SLA breaches", "count"),
    ("sla_compliance", "SLA compliance", "share"),
    ("approval_median_min", "Median approval turnaround (min)", "minutes"),
    ("accepted_unedited", "Drafts approved unedited", "count"),
    ("accepted_edited", "Drafts approved after edits", "count"),
    ("rejected", "Drafts rejected", "count"),
    ("acceptance_rate", "Draft acceptance (unedited)", "share"),
    ("reach", "Reach (followers/karma)", "count"),
]


# What the reports, the dashboard and the digest say for a figure without a sample.
NO_DATA = "no data"


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def kpis(row: dict[str, Any]) -> dict[str, Any]:
    """Every figure in KPIS from one row of summed rollup columns."""
    volume = row.get("volume", 0)
    decided = row["accepted_unedited"] + row["accepted_edited"] + row["rejected"]
    frt = [row[b] for b in FRT_BUCKETS]
    appr = [row[b] for b in APPROVAL_BUCKETS]
    return {
        "volume": volume, "negative": row["negative"], "neutral": row["neutral"],
        "positive": row["positive"],
        "negative_share": ratio(row["negative"], volume),
        "positive_share": ratio(row["positive"], volume),
        "net_sentiment": net_sentiment(row["positive"], row["negative"], row["neutral"])
        if row["positive"] + row["negative"] + row["neutral"] else None,
        "complaints": row["complaints"], "needs_reply": row["needs_reply"],
        "replies": row["replies"],
        "response_rate": ratio(row["answered"], row["needs_reply"]),
        "frt_median_min": _minutes(histogram_percentile(frt, 0.5)),
        "frt_p90_min": _minutes(histogram_percentile(frt, 0.9)),
        "sla_breaches": row["sla_breaches"],
        # Nothing answered and nothing late yet says nothing about the SLA: no data,
        # not a flattering 100 %.
        "sla_compliance": (ratio(row["needs_reply"] - row["sla_breaches"], row["needs_reply"])
                           if row["answered"] or row["sla_breaches"] else None),
        "approval_median_min": _minutes(histogram_percentile(appr, 0.5)),
        "accepted_unedited": row["accepted_unedited"],
        "accepted_edited": row["accepted_edited"], "rejected": row["rejected"],
        "acceptance_rate": ratio(row["accepted_unedited"], decided),
        "reach": row["reach"],
    }


def relative(kind: str) -> bool:
    """Whether ``change`` of a KPI of this kind is relative (a fraction of the previous
    value: counts and minutes) or absolute (this minus the previous: shares, scores)."""
    return kind not in ("share", "score")


def change(current: float | None, previous: float | None, kind: str) -> float | None:
    """Relative change for counts and minutes, absolute change for shares and scores."""
    if current is None or previous is None:
        return None
    if not relative(kind):
        return round(current - previous, 3)
    return round((current - previous) / previous, 3) if previous else None


def compare(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per KPI: this period, the previous one, and the change."""
    return [{"metric": label, "current": current[key], "previous": previous[key],
             "change": change(current[key], previous[key], kind), "key": key, "kind": kind}
            for key, label, kind in KPIS]


def formatted(value: float | None, kind: str, *, change: bool = False) -> str:
    """A KPI value (or, with ``change``, its change from ``change()``) for people; "no
    data" where it has no sample (a lone dash read as a gap or a zero)."""
    if value is None:
        return NO_DATA
    if kind == "share":
        return f"{value * 100:+.1f} pts" if change else f"{value:.0%}"
    if kind == "score":
        return f"{value:+.2f}"
    return f"{value:+.0%}" if change else f"{value:,}"
