"""The marketing dashboard (viewer role and up): charts, their tables, CSV/JSON exports.

Everything is read from the rollups through ``store.analytics``; the tables and
charts are built by the pure ``metrics.dashboard``. A point's mentions are one click
away: every row and mark links to the mentions list (web/mentions.py) filtered to it
(/mentions?brand=..&since=..), which lists exactly the mentions the point counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from core.clock import Clock
from metrics import dashboard, outcomes
from metrics.period import Period, parse
from store import analytics
from store.db import Store
from web import params
from web.context import Web

FILTERS = ("brand", "platform", "topic")
SERIES_COLUMNS = ("volume", "negative", "neutral", "positive", "needs_reply", "answered",
                  "sla_breaches")
TOPIC_COLUMNS = ("volume", "complaints", "negative")
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _filters(request: Request) -> dict[str, str]:
    return {k: request.query_params.get(k, "").strip() for k in FILTERS}


def _mentions_link(period: Period, filters: dict[str, str]) -> Callable[..., str]:
    """URLs of the mentions behind a row or a bar: the page's filters, narrowed to a
    bucket ([its start, the next bucket's start), UTC), a topic, a platform, a tone or
    an author."""

    def link(bucket: str = "", **narrow: str) -> str:
        since, until = period.start.isoformat(), (period.end + timedelta(days=1)).isoformat()
        if bucket and "T" in bucket:
            start = datetime.strptime(bucket, "%Y-%m-%dT%H").replace(tzinfo=UTC)
            since, until = (start.strftime("%Y-%m-%dT%H:00"),
                            (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00"))
        elif bucket:
            since = bucket
            until = (datetime.fromisoformat(bucket) + timedelta(days=1)).date().isoformat()
        query = {**{k: v for k, v in filters.items() if v}, **narrow,
                 "since": since, "until": until}
        return "/mentions?" + urlencode({k: v for k, v in query.items() if v})

    return link


def tables(store: Store, period: Period, filters: dict[str, str]
           ) -> tuple[list[dashboard.Tile], list[dashboard.Table]]:
    """The dashboard's KPI tiles and tables for a period and filters (six rollup
    queries, each summing only the columns its tables show), then the outcome tables
    (metrics.outcomes)."""
    since, until = period.bounds()
    scope = analytics.Scope(period.grain, since, until, **filters)  # type: ignore[arg-type]
    before = period.previous()
    previous = analytics.Scope(before.grain, *before.bounds(), **filters)  # type: ignore[arg-type]
    current, earlier = (analytics.aggregate(store, scope)[0],
                        analytics.aggregate(store, previous)[0])
    facts = outcomes.facts(store, period, filters)
    judged_now = outcomes.summarise(facts).as_dict()
    judged_before = outcomes.outcome_kpis(store, before, filters).as_dict()
    return dashboard.tiles(current, earlier, judged_now, judged_before), dashboard.build(
        current=current,
        previous=earlier,
        series=analytics.aggregate(store, scope, ("bucket", "platform"), SERIES_COLUMNS),
        previous_series=analytics.aggregate(store, previous, ("bucket",), SERIES_COLUMNS),
        previous_buckets=before.buckets(),
        topics=analytics.aggregate(store, scope, ("topic",), TOPIC_COLUMNS),
        authors=analytics.top_authors(store, scope),
        buckets=period.buckets(), link=_mentions_link(period, filters), grain=period.grain,
    ) + outcomes.tables(facts, _mentions_link(period, filters))


def routes(store: Store, clock: Clock, guard: Callable, render: Callable) -> list[Route]:
    """/dashboard and /dashboard/<table>.<csv|json>, both for any logged-in role."""

    def period_of(request: Request, say: bool = False) -> Period:
        """The range asked for; an end that is no day (or none a range can hold) is
        ignored, and the page (``say``) tells so."""
        q = request.query_params
        for key in ("since", "until"):
            if say and q.get(key) and params.day(q[key]) is None:
                Web.flash(request, "error", f"Ignored {key}={q[key][:40]!r}: not a date "
                                            "(YYYY-MM-DD) between 1970 and 9999.")
        return parse(q.get("since"), q.get("until"), clock.now().date())

    @guard("read")
    def page(request: Request, user: Any, form: Any) -> Response:
        period, filters = period_of(request, say=True), _filters(request)
        kpi_tiles, shown = tables(store, period, filters)
        for t in shown:
            t.chart = Markup(t.chart)  # our own SVG; every text in it is escaped
        query = urlencode({"since": period.start.isoformat(), "until": period.end.isoformat(),
                           **{k: v for k, v in filters.items() if v}})
        previous = period.previous()
        return render(request, "dashboard.html", user, tables=shown, tiles=kpi_tiles,
                      period=period,
                      previous=previous, filters=filters, query=query,
                      choices={k: analytics.values(store, k) for k in FILTERS})

    @guard("read")
    def export(request: Request, user: Any, form: Any) -> Response:
        name, fmt = request.path_params["name"], request.path_params["fmt"]
        if fmt not in FORMATS:
            return PlainTextResponse("format must be csv or json", status_code=404)
        period = period_of(request)
        table = next((t for t in tables(store, period, _filters(request))[1]
                      if t.name == name), None)
        if table is None:
            return PlainTextResponse(f"no table {name!r}", status_code=404)
        body = table.to_csv() if fmt == "csv" else table.to_json()
        filename = f"mentiondesk-{name}-{period.start}-{period.end}.{fmt}"
        return Response(body, media_type=FORMATS[fmt],
                        headers={"content-disposition": f'attachment; filename="{filename}"'})

    return [Route("/dashboard", page),
            Route("/dashboard/{name:str}.{fmt:str}", export)]
