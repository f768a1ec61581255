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
    urgent: list[dict[str, Any]]  # open items, most urgent first
    praise: list[dict[str, Any]]  # positive mentions of the day, widest reach first
    dashboard_url: str
    inbox_url: str
    figures: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        rows = compare(kpis(self.current), kpis(self.previous))
        self.figures = [{**r, "change_text": formatted(r["change"], r["kind"], change=True),
                         "now_text": formatted(r["current"], r["kind"]),
                         "before_text": formatted(r["previous"], r["kind"])}
                        for r in rows if r["key"] in HEADLINE]

    @property
    def title(self) -> str:
        return f"{self.brand} daily digest · {self.day:%A %d %B %Y} ({self.zone})"

    def chart(self) -> str:
        labels = [h["label"] for h in self.hourly]
        return charts.bars(f"digest-{self.day}", f"{self.brand}: mentions per hour by tone",
                           f"Mentions of {self.brand} on {self.day} per local hour "
                           f"({self.zone}), stacked by tone.", labels,
                           [(t, [h[t] for h in self.hourly]) for t in TONES],
                           x_label=f"hour ({self.zone})", y_label="mentions")

    def html(self) -> str:
        # The chart is our own SVG with every text in it escaped.
        return _env.get_template("digest.html").render(d=self, chart=Markup(self.chart()))

    def text(self) -> str:
        lines = [self.title, "=" * len(self.title), ""]
        width = max(len(f["metric"]) for f in self.figures)
        for f in self.figures:
            lines.append(f"{f['metric']:<{width}}  {f['now_text']:>10}  ({f['change_text']} vs "
                         "the day before)")
        lines += ["", "Mentions per hour (# negative, = neutral, + positive):"]
        top = max((h["negative"] + h["neutral"] + h["positive"] for h in self.hourly), default=0)
        scale = 40 / top if top > 40 else 1
        for h in self.hourly:
            bar = "".join(ch * round(h[t] * scale) for ch, t in zip("#=+", TONES, strict=True))
            lines.append(f"{h['label']}  {bar}")
        lines += ["", "Most urgent open items:"]
        lines += [f"- [{u['platform']}] @{u['handle']} ({u['topic']}, {u['label']}): "
                  f"{_one_line(u['text'])}" for u in self.urgent] or ["- none"]
        lines += ["", "Notable praise:"]
        lines += [f"- @{p['handle']} ({p['followers']:,} followers): {_one_line(p['text'])}"
                  for p in self.praise] or ["- none"]
        lines += ["", f"Dashboard: {self.dashboard_url}", f"Inbox: {self.inbox_url}", ""]
        return "\n".join(lines)


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
