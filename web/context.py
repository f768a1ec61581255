"""What every page of the inbox shares: the store, settings and clock, rendering,
flash messages, and the guard in front of every route.

Handlers are plain functions run in Starlette's thread pool (``guard``), so a slow
query or an argon2 hash never stalls the event loop, and every database read goes
through the store's per-thread WAL reader.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from config.settings import Settings
from core.clock import Clock, from_iso
from pipeline.actions import Actions
from store import inbox
from store.db import Store
from web import auth, params

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
FLASH_CHARS = 300  # a flash lives in the signed cookie: a 5 KB note must not overflow it
MAX_FLASHES = 5
MAX_FIELDS = 500

Handler = Callable[[Request], Awaitable[Response]]
View = Callable[[Request, auth.User, FormData | None], Response]


_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)


class _Unindented(jinja2.FileSystemLoader):
    """Template sources without their indentation, so a page of 50 items carries no
    layout spaces. Only the template's own text loses them: what users wrote is
    inserted at render time and keeps every space."""

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = super().get_source(environment, template)
        return _INDENT.sub("", source), filename, uptodate


def _fmt_time(text: str | None) -> str:
    return from_iso(text).strftime("%Y-%m-%d %H:%M UTC") if text else ""


def short(text: str, limit: int = FLASH_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Web:
    store: Store
    settings: Settings
    clock: Clock
    throttle: auth.Throttle
    secret: str

    def __post_init__(self) -> None:
        env = jinja2.Environment(
            loader=_Unindented(HERE / "templates"),
            autoescape=True,  # every {{ }} is escaped; user text never goes through |safe
            trim_blocks=True, lstrip_blocks=True,  # a page of 50 items stays small
        )
        env.filters["when"] = _fmt_time
        env.filters["thousands"] = lambda n: f"{int(n or 0):,}"
        self.templates = Jinja2Templates(env=env)
        # Approve, edit, reject, claim, skip, undo: one set of rules for every interface.
        self.actions = Actions(self.store, self.settings, self.clock)
        self._lock = threading.Lock()
        self._facet_cache: dict[tuple, tuple] = {}
        self._facet_version = -1

    def facets(self, filters: dict[str, str]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
        """store.inbox.facet_counts, kept until the database next changes: the counts
        stay true while costing one grouped pass per change, not per page."""
        version = self.store.data_version()
        # Empty values filter nothing: the unfiltered page and the nav badge share a key.
        key = tuple(sorted((k, v) for k, v in filters.items() if v))
        with self._lock:
            if self._facet_version != version:
                self._facet_cache, self._facet_version = {}, version
            found = self._facet_cache.get(key)
        if found is None:
            found = inbox.facet_counts(self.store, filters)
            with self._lock:
                if self._facet_version == version and len(self._facet_cache) < 256:
                    self._facet_cache[key] = found
        return found

    def render(self, request: Request, name: str, user: auth.User | None, status: int = 200,
               **context: Any) -> Response:
        flashes = request.session.pop("flash", [])
        undo = request.session.pop("undo", None)
        return self.templates.TemplateResponse(
            request, name,
            {"user": user, "csrf": auth.csrf_token(request), "flashes": flashes, "undo": undo,
             "now": self.clock.now(), "active_nav": name.split(".")[0], **context},
            status_code=status,
        )

    def fragment(self, name: str, **context: Any) -> str:
        """A template rendered to text, for partial updates."""
        return self.templates.env.get_template(name).render(**context).strip()

    @staticmethod
    def flash(request: Request, kind: str, text: str) -> None:
        kept = request.session.get("flash", [])[-(MAX_FLASHES - 1):]
        request.session["flash"] = [*kept, [kind, short(text)]]

    @staticmethod
    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    def refuse(self, request: Request, message: str, status: int = 403,
               user: auth.User | None = None) -> Response:
        """403 (or ``status``), as JSON for the page's fetch code (it shows the message),
        as a page with the nav and a way back for a browser (a bare line of text left
        a person on a dead end), or as text for scripts."""
        if self.wants_json(request):
            return JSONResponse({"ok": False, "message": message}, status_code=status)
        if "text/html" in request.headers.get("accept", ""):
            return self.render(request, "error.html", user, status=status, message=message,
                               title=HTTPStatus(status).phrase)
        return PlainTextResponse(message, status_code=status)

    def guard(self, permission: str) -> Callable[[View], Handler]:
        """Log-in and role checks, then (for POST) the form and its CSRF token, in
        front of a plain handler run in the thread pool. Nothing of a body is read
        for a visitor without a session. A path id no row can have, or any value a
        handler's ``web.params`` reader cannot use (BadParam), is answered 400."""

        def wrap(view: View) -> Handler:
            if inspect.iscoroutinefunction(view):
                raise TypeError(f"{view.__name__}: the guard wraps plain functions (they run "
                                "in the thread pool, so SQLite never blocks the event loop)")

            @wraps(view)
            async def run(request: Request) -> Response:
                user = await run_in_threadpool(auth.current_user, request, self.store,
                                               self.clock.now())
                if user is None:
                    if self.wants_json(request):
                        return JSONResponse(
                            {"ok": False, "login": True, "message":
                             "Your session ended: log in again (in another tab). Text you "
                             "typed is kept in this browser."}, status_code=401)
                    target = request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else "")
                    if request.method not in ("GET", "HEAD"):
                        target = request.headers.get("referer", "/queue")
                        target = "/" + target.split("/", 3)[-1] if "://" in target else target
                    return RedirectResponse("/login?" + urlencode({"next": target}), 303)
                if not user.can(permission):
                    return self.refuse(request, f"Your role ({user.role}) may not do this.",
                                       user=user)
                try:
                    params.path_ids(request.path_params)
                except params.BadParam as exc:
                    return self.refuse(request, f"Bad request: {exc}.", 400, user)
                form = None
                if request.method not in ("GET", "HEAD"):
                    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
                    if not auth.csrf_ok(request, form):
                        log.warning("refused %s %s: missing or wrong CSRF token",
                                    request.method, request.url.path)
                        return self.refuse(request, "CSRF token missing or wrong; reload the "
                                                    "page and try again.", user=user)
                try:
                    return await run_in_threadpool(view, request, user, form)
                except params.BadParam as exc:
                    return self.refuse(request, f"Bad request: {exc}.", 400, user)

            return run

        return wrap
