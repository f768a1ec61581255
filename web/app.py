"""The web inbox: middleware, log-in, and the app factory.

Pages are server-rendered (Jinja2, autoescaped) and every action is a plain form
POST followed by a redirect, so the page works without JavaScript; web/static/app.js
turns queue actions into fetches that redraw one item, keeps unsaved drafts in the
browser, and adds the keyboard.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from config.settings import Settings
from core.clock import Clock
from store import users
from store.db import Store
from web import admin, auth, dashboard, desk, mentions, ops, outcomes, replies_admin
from web.context import HERE, MAX_FIELDS, Web

log = logging.getLogger(__name__)

SESSION_COOKIE = "mentiondesk_session"
SESSION_MAX_AGE = auth.SESSION_HOURS * 3600

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


HSTS = ("strict-transport-security", "max-age=31536000")  # a year: HTTPS only, then


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every response, and HSTS when
    the inbox is served over HTTPS (``web.secure_cookie``)."""

    def __init__(self, app: Any, https: bool = False) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **dict([HSTS] if https else [])}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in self.headers.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413: at once when its
    Content-Length says so (nothing is read), else as soon as the chunks read pass it."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def _refuse(self, send: Any) -> None:
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body",
                    "body": f"request body over {self.max_bytes // 1024} KB".encode()})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_bytes:
            await self._refuse(send)
            return
        seen, started = 0, False

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(send)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the log-in form is no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def create_app(store: Store, settings: Settings, clock: Clock, session_secret: str) -> Starlette:
    """The inbox as an ASGI app. ``store`` must be migrated (store.schema.open_store)."""
    web = Web(store, settings, clock, auth.Throttle(clock.now), session_secret)

    # --- log-in -----------------------------------------------------------------

    def login_page(request: Request) -> Response:
        user = auth.current_user(request, store, clock.now())
        if user:
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        return web.render(request, "login.html", None,
                          next=_safe_next(request.query_params.get("next")),
                          first_run=users.count(store) == 0)

    def try_login(request: Request, name: str, password: str, target: str) -> Response:
        client = _client(request)
        account = users.name_key(name)[:200]
        try:
            attempt = web.throttle.begin(account, client)
        except auth.Refused as refusal:
            log.debug("log-in refused (%s) from %s for account #%s", refusal.reason, client,
                      auth.name_digest(account, session_secret))
            web.flash(request, "error", "Too many failed attempts from here; wait 15 minutes "
                                        "or ask an admin to unlock the account."
                      if refusal.reason == "throttled" else
                      "Another log-in is being checked; try again in a moment.")
            refused = web.render(request, "login.html", None, status=429, next=target,
                                 first_run=False)
            refused.headers["retry-after"] = str(refusal.retry_after_s)
            return refused
        user = None
        try:
            user = auth.authenticate(store, name, password)
        finally:
            web.throttle.end(attempt, ok=user is not None)
        if user is None:
            log.warning("failed log-in from %s for account #%s", client,
                        auth.name_digest(account, session_secret))
            web.flash(request, "error",
                      "Wrong user name or password, or the account is disabled.")
            return web.render(request, "login.html", None, status=401, next=target,
                              first_run=users.count(store) == 0)
        auth.start_session(request, store, user, clock.now(), client)
        users.touch_login(store, user.id, clock.now())
        log.info("%s logged in from %s", user.username, client)
        return RedirectResponse(target, 303)

    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
        if not auth.csrf_ok(request, form):
            return web.refuse(request, "CSRF token missing or wrong; reload the page")
        # argon2 takes tens of milliseconds on purpose: never on the event loop.
        return await run_in_threadpool(
            try_login, request, str(form.get("username", "")).strip(),
            str(form.get("password", "")), _safe_next(str(form.get("next", ""))))

    @web.guard("read")
    def logout(request: Request, user: auth.User, form: Any) -> Response:
        auth.end_session(request, store)
        log.info("%s logged out", user.username)
        return RedirectResponse("/login", 303)

    def home(request: Request) -> Response:
        return RedirectResponse("/queue", 303)

    async def no_page(request: Request, exc: Exception) -> Response:
        """404 and 405 (no such page, or a visit to an address that takes a form): a
        browser gets the desk's page with the nav and a way back, not a bare line."""
        if not isinstance(exc, HTTPException):  # registered for HTTPException only
            raise exc
        user = await run_in_threadpool(auth.current_user, request, store, clock.now())
        message = (f"There is no page at {request.url.path}." if exc.status_code == 404
                   else exc.detail)
        answer = web.refuse(request, message, exc.status_code, user)
        answer.headers.update(exc.headers or {})
        return answer

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *desk.routes(web),
        *admin.routes(web),
        *ops.routes(store, web.guard, web.render),
        *dashboard.routes(store, clock, web.guard, web.render),
        *mentions.routes(web),
        *outcomes.routes(web),
        *replies_admin.routes(store, web.guard, web.render),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(BodyLimit, max_bytes=settings.web.max_body_kb * 1024),
        Middleware(SecurityHeaders, https=settings.web.secure_cookie),
        Middleware(SessionMiddleware, secret_key=session_secret, session_cookie=SESSION_COOKIE,
                   max_age=SESSION_MAX_AGE, same_site="lax",
                   https_only=settings.web.secure_cookie),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: no_page})
    app.state.web = web  # module-level handlers (web/desk.py) reach the app's Web here
    return app
