"""The daily digest per brand (pure): when it is due, which UTC hours make the local
day, and its HTML (e-mail ready: tables and inline styles) and plain-text forms.

Time zones are explicit: the digest's day is a calendar day in ``metrics.timezone``
(zoneinfo), so a daylight-saving day has 23 or 25 hours. Zones offset by a fraction
of an hour are read in whole UTC hours (the rollups' grain), starting at the hour
that holds local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from metrics import charts
from metrics.dashboard import TONES
from metrics.summary import compare, formatted, kpis

HEADLINE = ("volume", "negative_share", "net_sentiment", "complaints", "replies",
            "response_rate", "frt_median_min", "sla_breaches", "reach")
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True)


def due_day(now: datetime, zone: ZoneInfo, at: str) -> date:
    """The latest local day whose digest should exist by ``now``: yesterday once the
    local clock has passed ``at`` ("HH:MM"), else the day before."""
    local = now.astimezone(zone)
    hour, minute = (int(x) for x in at.split(":"))
    back = 1 if local.time() >= time(hour, minute) else 2
    return local.date() - timedelta(days=back)


def local_hours(day: date, zone: ZoneInfo) -> list[tuple[str, str]]:
    """(UTC hour bucket, local label "HH:MM") for each hour of the local ``day``."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    start = start.replace(minute=0, second=0)
    out = []
    while start < end:
        out.append((start.strftime("%Y-%m-%dT%H"), start.astimezone(zone).strftime("%H:%M")))
        start += timedelta(hours=1)
    return out


@dataclass
class Digest:
    brand: str
    day: date
    zone: str
    current: dict[str, Any]  # summed rollup columns of the day
    previous: dict[str, Any]  # ... of the day before
    hourly: list[dict[str, Any]]  # per local hour: label, negative, neutral, positive
    week: list[dict[str, Any]]  # the same per local day, the seven days up to ``day``
    urgent: list[dict[str, Any]]  # open items, most urgent first
    praise: list[dict[str, Any]]  # positive mentions of the day, widest reach first
    dashboard_url: str
    inbox_url: str
    figures: list[dict[str, Any]] = field(init=False)
    # metrics.outcomes.lines of the week's conversations (satisfaction: predicted)
    outcomes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        rows = compare(kpis(self.current), kpis(self.previous))
        self.figures = [{**r, "change_text": formatted(r["change"], r["kind"], change=True),
                         "now_text": formatted(r["current"], r["kind"]),
                         "before_text": formatted(r["previous"], r["kind"])}
                        for r in rows if r["key"] in HEADLINE]

    @property
    def title(self) -> str:
        return f"{self.brand} daily digest · {self.day:%A %d %B %Y} ({self.zone})"

    def charts(self) -> list[str]:
        """The day per hour and the week per day, stacked by tone."""
        where = f"{self.brand} ({self.zone})"
        return [
            charts.bars(f"digest-{self.day}-hours", f"{self.brand}: mentions per hour by tone",
                        f"Mentions of {where} on {self.day} per local hour, stacked by tone.",
                        [h["label"] for h in self.hourly],
                        [(t, [h[t] for h in self.hourly]) for t in TONES],
                        x_label=f"hour ({self.zone})", y_label="mentions"),
            charts.bars(f"digest-{self.day}-week", f"{self.brand}: the last seven days",
                        f"Mentions of {where} per local day for the week to {self.day}, "
                        "stacked by tone.", [d["label"] for d in self.week],
                        [(t, [d[t] for d in self.week]) for t in TONES],
                        x_label="day", y_label="mentions"),
        ]

    def html(self) -> str:
        # The charts are our own SVG with every text in them escaped.
        return _env.get_template("digest.html").render(
            d=self, charts=[Markup(svg) for svg in self.charts()])

    def text(self) -> str:
        lines = [self.title, "=" * len(self.title), ""]
        width = max(len(f["metric"]) for f in self.figures)
        for f in self.figures:
            lines.append(f"{f['metric']:<{width}}  {f['now_text']:>10}  {_against(f)}".rstrip())
        lines += ["", "Mentions per hour (count, then # negative, = neutral, + positive):",
                  *_ascii_bars(self.hourly), "", "The last seven days:", *_ascii_bars(self.week)]
        if self.outcomes:
            lines += ["", "Did our replies help (conversations of the last seven days):",
                      *(f"- {line}" for line in self.outcomes)]
        lines += ["", "Most urgent open items:"]
        lines += [f"- [{u['platform']}] @{u['handle']} ({u['topic']}, {u['label']}): "
                  f"{_one_line(u['text'])}" for u in self.urgent] or ["- none"]
        lines += ["", "Notable praise:"]
        lines += [f"- @{p['handle']} ({p['followers']:,} followers): {_one_line(p['text'])}"
                  for p in self.praise] or ["- none"]
        lines += ["", f"Dashboard: {self.dashboard_url}", f"Inbox: {self.inbox_url}", ""]
        return "\n".join(lines)


def _against(figure: dict[str, Any]) -> str:
    """The text digest's comparison with the day before: the change where there is one,
    else the day before's own figure ("0 the day before": no change from nothing), else
    nothing to compare."""
    if figure["change"] is not None:
        return f"({figure['change_text']} vs the day before)"
    if figure["current"] is None and figure["previous"] is None:
        return ""
    return f"({figure['before_text']} the day before)"


def _ascii_bars(rows: list[dict[str, Any]], width: int = 40) -> list[str]:
    """One text line per row: its label, its count (a scaled bar cannot be counted) and
    a bar of #, = and + (negative, neutral, positive), scaled so the longest fits
    ``width``."""
    totals = [sum(r[t] for t in TONES) for r in rows]
    top = max(totals, default=0)
    scale = width / top if top > width else 1
    digits = len(f"{top:,}")
    return [(f"{r['label']:>6}  {total:>{digits},}  " + "".join(
                ch * round(r[t] * scale) for ch, t in zip("#=+", TONES, strict=True))).rstrip()
            for r, total in zip(rows, totals, strict=True)]


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
