"""The operator's routes: ``/healthz`` (public: ok or not), ``/health`` (signed in: the
detail) and ``/metrics`` (Prometheus text format).

``/healthz`` says nothing but ok, so a load balancer may call it and a stranger learns
nothing. ``/metrics`` holds counts only; when ``MENTIONDESK_METRICS_TOKEN`` is set it
wants ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from config.secrets import secret
from pipeline import telemetry
from store import operations, set_aside
from store.db import Store

log = logging.getLogger(__name__)


class StoreCollector:
    """Gauges read from the database at scrape time, whichever process writes it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        queues = GaugeMetricFamily("mentiondesk_queue_depth", "Rows waiting at each stage",
                                   labels=["queue"])
        for name, n in operations.queue_depths(self.store).items():
            queues.add_metric([name], n)
        yield queues
        states = GaugeMetricFamily("mentiondesk_drafts", "Drafts by state", labels=["state"])
        for state, n in operations.drafts_by_state(self.store).items():
            states.add_metric([state], n)
        yield states
        held = GaugeMetricFamily("mentiondesk_set_aside_rows", "Rows set aside, unreleased")
        held.add_metric([], set_aside.count(self.store))
        yield held
        paused = GaugeMetricFamily("mentiondesk_source_paused",
                                   "1 while a source is paused", labels=["source"])
        for source in operations.source_health(self.store):
            paused.add_metric([source["name"]], 1 if source["paused_until"] else 0)
        yield paused


def routes(store: Store, guard: Callable[[str], Callable], render: Callable[..., Response]
           ) -> list[Route]:
    """The routes, given the inbox's guard (log-in, role) and its page renderer."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(store))

    def healthz(request: Request) -> Response:
        try:
            ok = operations.writable(store) and operations.queue_depths(store) is not None
        except Exception:  # the answer is "not ok", never a stack trace
            log.exception("health check failed")
            ok = False
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    @guard("read")
    def health_page(request: Request, user: Any, form: Any) -> Response:
        report = operations.status(store)
        if request.query_params.get("format") == "json":
            return JSONResponse(report)
        return render(request, "health.html", user, report=report)

    def metrics(request: Request) -> Response:
        token = secret("MENTIONDESK_METRICS_TOKEN")
        if token is not None:
            # Compared as bytes: a header with non-ASCII text is a wrong token, not a 500.
            given = request.headers.get("authorization", "").encode("utf-8", "replace")
            wanted = f"Bearer {token.get_secret_value()}".encode()
            if not hmac.compare_digest(given, wanted):
                return PlainTextResponse("a bearer token is required", status_code=401)
        body = generate_latest(telemetry.REGISTRY) + generate_latest(registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return [Route("/healthz", healthz), Route("/health", health_page),
            Route("/metrics", metrics)]
