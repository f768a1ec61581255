"""One-click outcome corrections from the inbox (POST /outcomes/correct).

An agent who sees the desk judged a conversation wrongly (closed while the customer
still needs us, or reopened a plain thank-you) fixes the outcome or the predicted
satisfaction with one button; ``pipeline.actions.correct_outcome`` stores it for
`model adapt` and moves the customer's message in the queue. Then back to the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.errors import ActionRefused
from web import params
from web.auth import User
from web.context import Web


def _back(request: Request) -> str:
    """The same-origin page the button was on (the queue, /mentions), else the queue."""
    ref = urlsplit(request.headers.get("referer", ""))
    if ref.netloc in ("", request.url.netloc) and ref.path in ("/queue", "/mentions") \
            and "\n" not in ref.query:
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return "/queue"


def routes(web: Web) -> list[Route]:
    @web.guard("label")
    def correct(request: Request, user: User, form: Any) -> Response:
        conversation = params.text(form, "conversation", 200)
        outcome = params.text(form, "outcome", 40) or None
        satisfaction = params.text(form, "satisfaction", 40) or None
        try:
            done = web.actions.correct_outcome(conversation, user.username, outcome=outcome,
                                               satisfaction=satisfaction)
            web.flash(request, "ok", done.message)
        except ActionRefused as exc:
            web.flash(request, "error", str(exc))
        return RedirectResponse(_back(request), 303)

    return [Route("/outcomes/correct", correct, methods=["POST"])]
