"""/mentions: every mention the filters match, read-only, for the viewer role and up.

This is where the dashboard's bars, points and rows lead: the queue lists only drafts
that need an agent, while a chart counts every mention (praise, closed, answered), so
the list behind a point must be this one for its length to equal the point's number.
Whoever may read the queue (viewers too) gets a link to the same filters there. Its one
action is for whoever may correct labels: "Needs a reply" on a mention that left without
a draft (the model let it go, or the responder's words held it back), which puts it in
the queue (``pipeline.actions.Actions.correct``): the misses a desk finds here are what
``model adapt`` learns recall from.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from responder.policy import HOLDING
from store import analytics, listing
from web.auth import User
from web.context import Web
from web.desk import PAGES
from web.filters import read
from web.params import integer

TONES = ("negative", "neutral", "positive")
# Whoever may open the queue gets the link to it: the permission its route asks for.
QUEUE_PERMISSION = next(permission for path, _, permission, _ in PAGES if path == "/queue")
# "Needs a reply" posts to the mention's label route: shown to whoever that route admits.
LABEL_PERMISSION = next(permission for path, _, permission, _ in PAGES
                        if path.endswith("/label"))
STATUSES = ("new", "needs_reply", "drafted", "replied", "no_action")


def routes(web: Web) -> list[Route]:
    @web.guard("read")
    def page(request: Request, user: User, form: Any) -> Response:
        filters, notes = read(request.query_params, listing.FILTERS)
        active = {k: v for k, v in filters.items() if v}
        total = listing.count(web.store, filters)
        size = web.settings.web.page_size
        pages = max(1, math.ceil(total / size))
        number = min(max(1, integer(request.query_params.get("page"), 1)), pages)
        rows = listing.page(web.store, filters, limit=size, offset=(number - 1) * size)
        queue_filters = {k: v for k, v in active.items() if k != "status"}
        return web.render(
            request, "mentions.html", user, rows=rows, total=total, filters=filters,
            notes=notes, page=number, pages=pages, first=(number - 1) * size + 1,
            page_url=lambda n: "/mentions?" + urlencode({**active, "page": n}),
            filter_url=lambda key, value: "/mentions?" + urlencode(
                {**active, key: value} if value else
                {k: v for k, v in active.items() if k != key}),
            queue_url="/queue?" + urlencode(queue_filters) if user.can(QUEUE_PERMISSION) else "",
            choices={k: analytics.values(web.store, k) for k in analytics.DIMENSIONS},
            tones=TONES, statuses=STATUSES, can_queue=user.can(LABEL_PERMISSION),
            holding=HOLDING)

    return [Route("/mentions", page)]
