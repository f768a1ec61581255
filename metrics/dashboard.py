"""The dashboard's tables and charts from aggregated rollups (pure).

Each chart is drawn from exactly the rows of its table, and the CSV/JSON export
writes the same rows, so what is seen, what is downloaded and what is drawn agree.
``link(**filters)`` makes the URL of the mentions behind a row or a bar (the
mentions list, filtered to it).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core import csvfile
from metrics import charts
from metrics.rollup import BUCKET_LABELS, FRT_BUCKETS, net_sentiment, ratio
from metrics.summary import NO_DATA, change, compare, formatted, kpis, relative

Link = Callable[..., str]
TONES = ("negative", "neutral", "positive")
CHANGE = "change:"  # a display kind: the change of a KPI of the kind after the colon


def display(value: Any, kind: str = "") -> str:
    """A table cell for people: 48.9 % for a share, 96,391 for a count, +0.12 for a
    score, 3.40 for a mean on a scale, "no data" for a figure that could not be
    computed; a change (kind ``"change:" + the KPI's kind``) as ``formatted`` says it,
    +12% or +3.1 pts. Exports keep the raw value, for spreadsheets."""
    if value is None or value == "":
        return NO_DATA if kind else ""
    if kind.startswith(CHANGE) and isinstance(value, int | float):
        return formatted(value, kind.removeprefix(CHANGE), change=True)
    if kind == "share" and isinstance(value, int | float):
        return f"{value * 100:.1f} %"
    if kind == "score" and isinstance(value, int | float):
        return f"{value:+.2f}"
    if kind == "mean" and isinstance(value, int | float):
        return f"{value:.2f}"
    if kind == "minutes" and isinstance(value, int | float):
        return f"{value:,.1f} min"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.3g}"


@dataclass(frozen=True)
class Tile:
    """One headline figure at the top of the dashboard, with its change."""

    key: str
    label: str
    value: str  # as shown ("48.9 %", "no data")
    change: str  # "+3.1 pts", "−12 %", "" when there is nothing to compare with
    trend: str  # "good", "bad" or "flat": the colour of the change
    previous: str  # the previous period's figure, as shown
    table: str  # the id of the table behind it (one click away)
    hint: str = ""  # what the figure means, or why there is none


# (key, label, kind, up is good, the table behind it)
TILES: list[tuple[str, str, str, bool, str]] = [
    ("volume", "Mentions", "count", True, "volume"),
    ("net_sentiment", "Net sentiment", "score", True, "sentiment"),
    ("complaints", "Complaints", "count", False, "topics"),
    ("response_rate", "Response rate", "share", True, "sla"),
    ("frt_median_min", "Median first response", "minutes", False, "response"),
    ("sla_compliance", "SLA compliance", "share", True, "sla"),
    ("resolution_rate", "Resolution rate", "share", True, "outcomes"),
    ("predicted_csat", "Predicted CSAT", "share", True, "outcomes"),
]


def outcome_kpis(figures: dict[str, Any] | None) -> dict[str, float | None]:
    """The outcome tiles' figures (issue 23's ``metrics.outcomes``: resolution rate and
    the share of conversations predicted satisfied), or None for each when the caller
    has none: the tiles then say "no data", never 0 % or a flattering 100 %."""
    figures = figures or {}
    return {"resolution_rate": figures.get("resolution_rate"),
            "predicted_csat": figures.get("predicted_csat_share")}


def tiles(current: dict[str, Any], previous: dict[str, Any],
          outcomes_now: dict[str, Any] | None = None,
          outcomes_before: dict[str, Any] | None = None) -> list[Tile]:
    """The KPI tiles, in the order a care lead reads them, against the previous period;
    ``outcomes_*`` are ``metrics.outcomes`` KPIs as a dict (``OutcomeKpis.as_dict``)."""
    now = {**kpis(current), **outcome_kpis(outcomes_now)}
    before = {**kpis(previous), **outcome_kpis(outcomes_before)}
    out = []
    for key, label, kind, up_good, table in TILES:
        value, old = now[key], before[key]
        delta = change(value, old, kind)
        trend = ("flat" if not delta else
                 "good" if (delta > 0) == up_good else "bad")
        hint = ""
        if value is None:
            hint = {"resolution_rate": "no conversation with an outcome yet",
                    "predicted_csat": "no customer wrote back after our reply yet",
                    "sla_compliance": "nothing answered in this period yet",
                    "frt_median_min": "no first reply in this period",
                    "response_rate": "nothing needed a reply"}.get(key, "")
        out.append(Tile(key, label, display(value, kind or "count"),
                        "" if delta is None else formatted(delta, kind, change=True),
                        trend, display(old, kind or "count"), table, hint))
    return out


@dataclass
class Table:
    name: str
    title: str
    columns: list[tuple[str, str]]  # (key, heading)
    rows: list[dict[str, Any]]
    links: list[str | None] = field(default_factory=list)  # per row: its mentions
    chart: str = ""
    note: str = ""
    # column -> kind ("share", "score", "mean", "count", "minutes") for the page's formatting;
    # "row" takes each row's own "kind" (the summary mixes kinds in one column), and a
    # row's "kinds" (column -> kind) overrides both for its own cells
    kinds: dict[str, str] = field(default_factory=dict)
    # The page's columns where they differ from the export's: the summary shows one
    # human "change" (+12%, -3.1 pts) where its export keeps two number columns.
    shown: list[tuple[str, str]] = field(default_factory=list)

    @property
    def page_columns(self) -> list[tuple[str, str]]:
        return self.shown or self.columns

    def cell(self, row: dict[str, Any], key: str) -> str:
        """The cell as the page shows it (exports keep the raw value)."""
        kind = row.get("kinds", {}).get(key) or self.kinds.get(key, "")
        return display(row[key], row.get("kind", "") if kind == "row" else kind)

    def to_csv(self) -> str:
        return csvfile.write([key for key, _ in self.columns],
                             ([row[k] for k, _ in self.columns] for row in self.rows))

    def to_json(self) -> str:
        return json.dumps({"table": self.name, "title": self.title,
                           "columns": [k for k, _ in self.columns],
                           "rows": [{k: row[k] for k, _ in self.columns} for row in self.rows]},
                          ensure_ascii=False, indent=1)


def _by_bucket(series: list[dict[str, Any]], buckets: list[str]) -> dict[str, dict[str, Any]]:
    """Sum the platform rows of each bucket; buckets without data become zeros."""
    summed: dict[str, dict[str, Any]] = {b: defaultdict(int) for b in buckets}
    for row in series:
        target = summed.setdefault(row["bucket"], defaultdict(int))
        for key, value in row.items():
            if key not in ("bucket", "platform") and value is not None:
                target[key] += value
    return summed


def _triaged(sums: dict[str, Any]) -> int:
    return sums["negative"] + sums["neutral"] + sums["positive"]


def _net(sums: dict[str, Any]) -> float | None:
    """Net sentiment of summed counts; None (a gap) when nothing was triaged."""
    if not _triaged(sums):
        return None
    return net_sentiment(sums["positive"], sums["negative"], sums["neutral"])


def _sla(sums: dict[str, Any]) -> float | None:
    """SLA compliance of summed counts; None (a gap, "no data") while nothing was
    answered and nothing was late: a bucket of open mentions is no 100 %."""
    if not sums.get("answered") and not sums["sla_breaches"]:
        return None
    return ratio(sums["needs_reply"] - sums["sla_breaches"], sums["needs_reply"])


def _label(bucket: str) -> str:
    """Short axis labels: "11-23" for a day or an hour's midnight, "14:00" for an hour."""
    day, _, hour = bucket.partition("T")
    return f"{hour}:00" if hour and hour != "00" else day[5:]


def build(*, current: dict[str, Any], previous: dict[str, Any], series: list[dict[str, Any]],
          previous_series: list[dict[str, Any]], topics: list[dict[str, Any]],
          authors: list[dict[str, Any]], buckets: list[str], previous_buckets: list[str],
          link: Link, grain: str) -> list[Table]:
    """Every dashboard table, in page order. The previous period (as long as this one)
    is aligned bucket by bucket: its first day beside this period's first day."""
    unit = "hour (UTC)" if grain == "hour" else "day (UTC)"
    labels = [_label(b) for b in buckets]
    bucket_links = [link(bucket=b) for b in buckets]
    per_bucket = _by_bucket(series, buckets)
    per_before = _by_bucket(previous_series, previous_buckets)
    before = [per_before[b] for b in previous_buckets]
    platforms = sorted({r["platform"] for r in series})
    tables = [_summary(current, previous)]

    volume_of = defaultdict(int, {(r["bucket"], r["platform"]): r["volume"] for r in series})
    rows = [{"bucket": b, **{p: volume_of[(b, p)] for p in platforms},
             "total": per_bucket[b]["volume"], "previous": before[i]["volume"]}
            for i, b in enumerate(buckets)]
    t = Table("volume", "Mentions over time by platform",
              [("bucket", unit), *((p, p) for p in platforms), ("total", "total"),
               ("previous", "previous period")], rows, bucket_links,
              kinds={**{p: "count" for p in platforms}, "total": "count",
                     "previous": "count"})
    t.chart = charts.bars("chart-volume", t.title,
                          f"Stacked mentions per {unit} by platform; the dashed line is the "
                          "previous period.", labels,
                          [(p, [r[p] for r in rows]) for p in platforms],
                          x_label=unit, y_label="mentions",
                          part_links=[[link(bucket=b, platform=p) for b in buckets]
                                      for p in platforms],
                          overlay=("previous period", [r["previous"] for r in rows]))
    tables.append(t)

    rows = [{"bucket": b, **{tone: per_bucket[b][tone] for tone in TONES},
             "negative_share": ratio(per_bucket[b]["negative"], per_bucket[b]["volume"])}
            for b in buckets]
    t = Table("tone", "Tone over time", [("bucket", unit), *((x, x) for x in TONES),
                                         ("negative_share", "negative share")], rows,
              bucket_links, kinds={"negative_share": "share"})
    t.chart = charts.bars("chart-tone", t.title, f"Stacked mentions per {unit} by tone.",
                          labels, [(tone, [r[tone] for r in rows]) for tone in TONES],
                          x_label=unit, y_label="mentions",
                          part_links=[[link(bucket=b, sentiment=tone) for b in buckets]
                                      for tone in TONES])
    tables.append(t)

    rows = [{"bucket": b, "triaged": _triaged(per_bucket[b]), "net_sentiment": _net(per_bucket[b]),
             "previous": _net(before[i])} for i, b in enumerate(buckets)]
    t = Table("sentiment", "Net sentiment trend",
              [("bucket", unit), ("triaged", "triaged"), ("net_sentiment", "net sentiment"),
               ("previous", "previous period")],
              rows, [link(bucket=b, triaged="1") for b in buckets],
              note="(positive − negative) / triaged, from −1 to +1",
              kinds={"triaged": "count", "net_sentiment": "score", "previous": "score"})
    t.chart = charts.lines("chart-sentiment", t.title,
                           f"Net sentiment per {unit} against the previous period; gaps where "
                           "nothing was triaged.", labels,
                           [("net sentiment", [r["net_sentiment"] for r in rows]),
                            ("previous period", [r["previous"] for r in rows])],
                           x_label=unit, y_label="net sentiment", low=-1, high=1,
                           links=t.links)
    tables.append(t)

    rows = [{"topic": r["topic"], "mentions": r["volume"], "complaints": r["complaints"],
             "negative": r["negative"], "complaint_share": ratio(r["complaints"], r["volume"])}
            for r in sorted(topics, key=lambda r: (-r["complaints"], -r["volume"], r["topic"]))]
    t = Table("topics", "Complaints by topic",
              [("topic", "topic"), ("mentions", "mentions"), ("complaints", "complaints"),
               ("negative", "negative"), ("complaint_share", "complaint share")], rows,
              [link(topic=r["topic"]) for r in rows],
              kinds={"mentions": "count", "complaints": "count", "negative": "count",
                     "complaint_share": "share"})
    t.chart = charts.bars("chart-topics", t.title, "Complaints and all mentions per topic.",
                          [r["topic"] for r in rows],
                          [("complaints", [r["complaints"] for r in rows]),
                           ("mentions", [r["mentions"] for r in rows])],
                          x_label="topic", y_label="mentions", links=t.links, stacked=False)
    tables.append(t)

    replies = current["replies"]
    rows = [{"first_response": label, "replies": current[b],
             "share": ratio(current[b], replies)}
            for label, b in zip(BUCKET_LABELS, FRT_BUCKETS, strict=True)]
    k = kpis(current)
    t = Table("response", "First-response time distribution",
              [("first_response", "first response within"), ("replies", "replies"),
               ("share", "share")], rows,
              note=(f"median ≈ {display(k['frt_median_min'], 'minutes')}, p90 ≈ "
                    f"{display(k['frt_p90_min'], 'minutes')} (estimated within buckets)"
                    if replies else "No first reply in this period: no response times."),
              kinds={"replies": "count", "share": "share"})
    t.chart = charts.bars("chart-response", t.title,
                          "Replies by time from the mention to our first public reply.",
                          BUCKET_LABELS, [("replies", [r["replies"] for r in rows])],
                          x_label="time to first response", y_label="replies")
    tables.append(t)

    rows = [{"bucket": b, "needs_reply": per_bucket[b]["needs_reply"],
             "sla_breaches": per_bucket[b]["sla_breaches"], "compliance": _sla(per_bucket[b]),
             "previous": _sla(before[i])} for i, b in enumerate(buckets)]
    t = Table("sla", "SLA compliance",
              [("bucket", unit), ("needs_reply", "needing a reply"),
               ("sla_breaches", "breaches"), ("compliance", "compliance"),
               ("previous", "previous period")], rows,
              [link(bucket=b, needs_reply="1") for b in buckets],
              kinds={"needs_reply": "count", "sla_breaches": "count", "compliance": "share",
                     "previous": "share"})
    t.chart = charts.lines("chart-sla", t.title,
                           f"Share of mentions needing a reply answered within the SLA, per "
                           f"{unit}, against the previous period.", labels,
                           [("compliance", [r["compliance"] for r in rows]),
                            ("previous period", [r["previous"] for r in rows])],
                           x_label=unit, y_label="answered within SLA", low=0, high=1,
                           percent=True, links=t.links)
    tables.append(t)

    outcomes = [("approved unedited", current["accepted_unedited"]),
                ("approved after edits", current["accepted_edited"]),
                ("rejected", current["rejected"])]
    decided = sum(n for _, n in outcomes)
    rows = [{"outcome": name, "drafts": n, "share": ratio(n, decided)} for name, n in outcomes]
    t = Table("acceptance", "Draft acceptance",
              [("outcome", "outcome"), ("drafts", "drafts"), ("share", "share")], rows,
              note=(f"median approval turnaround ≈ {display(k['approval_median_min'], 'minutes')}"
                    if decided else "No draft decided in this period."),
              kinds={"drafts": "count", "share": "share"})
    t.chart = charts.bars("chart-acceptance", t.title,
                          "Decided drafts: approved as drafted, approved after edits, "
                          "rejected.", [r["outcome"] for r in rows],
                          [("drafts", [r["drafts"] for r in rows])], x_label="outcome",
                          y_label="drafts")
    tables.append(t)

    rows = [{"platform": a["platform"], "handle": a["handle"], "followers": a["followers"],
             "mentions": a["mentions"]} for a in authors]
    t = Table("authors", "Top authors by reach",
              # "followers / karma" may wrap (as the chart's axis says it): unbroken, it
              # made the table 14 px wider than its card at 1366 px, the arrow clipped.
              [("platform", "platform"), ("handle", "author"),
               ("followers", "followers / karma"),
               ("mentions", "mentions")], rows,
              [link(platform=a["platform"], author=a["handle"]) for a in authors])
    t.chart = charts.hbars("chart-authors", t.title, "Followers (X) or karma (Reddit) of "
                           "the authors with the widest reach, one row each.",
                           [f"@{a['handle']}" for a in rows],
                           [a["followers"] for a in rows], x_label="followers / karma",
                           name="followers", links=t.links)
    t.kinds = {"followers": "count", "mentions": "count"}
    tables.append(t)
    return tables


def _summary(current: dict[str, Any], previous: dict[str, Any]) -> Table:
    """Each KPI against the previous period. The change is a number in the column that
    names its unit (the export once held text, "+12%" or "+3.1 pts"): ``relative_change``
    for counts and minutes, a fraction of the previous value (0.12 is +12 %), and
    ``difference`` for shares and scores, this period minus the previous in the row's own
    unit (0.031 is +3.1 points of a share). The page shows one "change" column in the
    row's own way (+12%, -3.1 pts, +0.05): two half-empty columns made the table wider
    than a phone for nothing."""
    rows = []
    for r in compare(kpis(current), kpis(previous)):
        column = "relative_change" if relative(r["kind"]) else "difference"
        rows.append({"metric": r["metric"], "current": r["current"], "previous": r["previous"],
                     "relative_change": None, "difference": None, column: r["change"],
                     "change": r["change"], "kind": r["kind"],
                     "kinds": {"change": CHANGE + r["kind"]}})
    first = [("metric", "metric"), ("current", "this period"), ("previous", "previous period")]
    return Table("summary", "This period against the previous one",
                 [*first, ("relative_change", "relative_change"), ("difference", "difference")],
                 rows, kinds={"current": "row", "previous": "row"},
                 shown=[*first, ("change", "change")],
                 note="Counts and minutes change relative to the previous period (+12%); "
                      "shares in percentage points (+3.1 pts) and scores by their "
                      "difference (+0.05).")
