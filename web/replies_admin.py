"""/replies (admins): how agents received each template and option, so weak templates
show themselves (approved as drafted, edited, rejected), and per kind (template, past
reply, AI draft) whether the model earns its place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from responder.acceptance import OUTCOMES, by_kind, table
from store import drafts
from store.db import Store


def routes(store: Store, guard: Callable, render: Callable) -> list[Route]:
    @guard("users")
    def page(request: Request, user: Any, form: Any) -> Response:
        decided = drafts.outcomes(store)
        return render(request, "replies.html", user, lines=table(decided),
                      outcomes=OUTCOMES, kinds=by_kind(decided),
                      kind_columns=(*OUTCOMES, "passed_over"))

    return [Route("/replies", page)]
