"""The web inbox: routes, the guard every route goes through, and the app factory.

Pages are server-rendered (Jinja2, autoescaped) and every action is a plain form
POST followed by a redirect, so the page works without JavaScript; web/static/app.js
only adds the live character counter and the keyboard.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from config.settings import Settings
from core.clock import Clock, from_iso
from core.errors import ActionRefused, StoreError
from pipeline.actions import Actions
from store import audit, drafts, inbox, users
from store.db import Store
from web import auth, dashboard, ops
from web.queue import FILTERS, build_items

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "mentiondesk_session"
SESSION_MAX_AGE = 12 * 3600  # one working day
MAX_SKIPPED = 100

Handler = Callable[[Request], Awaitable[Response]]

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in SECURITY_HEADERS.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _fmt_time(text: str | None) -> str:
    return from_iso(text).strftime("%Y-%m-%d %H:%M UTC") if text else ""


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the log-in form is no open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/queue"


def create_app(store: Store, settings: Settings, clock: Clock, session_secret: str) -> Starlette:
    """The inbox as an ASGI app. ``store`` must be migrated (store.schema.open_store)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every {{ }} is escaped; user text never goes through |safe
    )
    env.filters["when"] = _fmt_time
    env.filters["thousands"] = lambda n: f"{int(n or 0):,}"
    templates = Jinja2Templates(env=env)
    throttle = auth.Throttle()
    actions = Actions(store, settings, clock)

    def render(request: Request, name: str, user: auth.User | None, status: int = 200,
               **context: Any) -> Response:
        flashes = request.session.pop("flash", [])
        undo = request.session.pop("undo", None)
        return templates.TemplateResponse(
            request, name,
            {"user": user, "csrf": auth.csrf_token(request), "flashes": flashes, "undo": undo,
             "now": clock.now(), "active_nav": name.split(".")[0], **context},
            status_code=status,
        )

    def flash(request: Request, kind: str, text: str) -> None:
        request.session.setdefault("flash", []).append([kind, text])
        request.session["flash"] = request.session["flash"][-5:]

    def guard(permission: str) -> Callable[[Callable[..., Awaitable[Response]]], Handler]:
        """Log-in, role and (for POST) CSRF checks in front of a handler."""

        def wrap(handler: Callable[..., Awaitable[Response]]) -> Handler:
            @wraps(handler)
            async def run(request: Request) -> Response:
                form = None
                if request.method != "GET":
                    form = await request.form()
                    if not auth.csrf_ok(request, form):
                        log.warning("refused %s %s: missing or wrong CSRF token",
                                    request.method, request.url.path)
                        return PlainTextResponse("CSRF token missing or wrong; reload the "
                                                 "page and try again", status_code=403)
                user = auth.current_user(request, store)
                if user is None:
                    target = request.url.path + (f"?{request.url.query}"
                                                 if request.url.query else "")
                    return RedirectResponse("/login?" + urlencode({"next": target}), 303)
                if not user.can(permission):
                    return PlainTextResponse(
                        f"your role ({user.role}) may not do this", status_code=403)
                return await handler(request, user, form)

            return run

        return wrap

    def back(form: Any, mention_id: int | None = None) -> RedirectResponse:
        query = form.get("back", "") if form else ""
        query = query if isinstance(query, str) and "\n" not in query else ""
        anchor = f"#m{mention_id}" if mention_id else ""
        return RedirectResponse(f"/queue{'?' + query if query else ''}{anchor}", 303)

    def int_field(form: Any, name: str) -> int:
        try:
            return int(form.get(name, ""))
        except (TypeError, ValueError):
            return -1

    # --- log-in -----------------------------------------------------------------

    async def login_page(request: Request) -> Response:
        user = auth.current_user(request, store)
        if user:
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        return render(request, "login.html", None, next=request.query_params.get("next", ""),
                      first_run=users.count(store) == 0)

    async def login(request: Request) -> Response:
        form = await request.form()
        if not auth.csrf_ok(request, form):
            return PlainTextResponse("CSRF token missing or wrong; reload the page",
                                     status_code=403)
        name = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "")))
        if throttle.blocked(name):
            flash(request, "error", "Too many failed attempts; wait a few minutes.")
            return render(request, "login.html", None, status=429, next=target,
                          first_run=False)
        user = auth.authenticate(store, name, password)
        if user is None:
            throttle.failed(name)
            log.info("failed log-in for %r", name)
            flash(request, "error", "Wrong user name or password, or the account is disabled.")
            return render(request, "login.html", None, status=401, next=target,
                          first_run=users.count(store) == 0)
        throttle.reset(name)
        row = users.get(store, user.id)
        auth.start_session(request, user.id, row["session_epoch"] if row else 0)
        users.touch_login(store, user.id, clock.now())
        log.info("%s logged in", user.username)
        return RedirectResponse(target, 303)

    @guard("read")
    async def logout(request: Request, user: auth.User, form: Any) -> Response:
        request.session.clear()
        return RedirectResponse("/login", 303)

    # --- queue ------------------------------------------------------------------

    async def home(request: Request) -> Response:
        return RedirectResponse("/queue", 303)

    @guard("read")
    async def queue_page(request: Request, user: auth.User, form: Any) -> Response:
        filters = {k: request.query_params.get(k, "") for k in FILTERS}
        if filters["assignee"] == "me":
            filters["assignee"] = user.username
        skipped = set(request.session.get("skipped", []))
        items = build_items(store, settings, clock.now(), filters, skipped)
        counts = inbox.facet_counts(store, filters)
        active = {k: v for k, v in filters.items() if v}
        return render(request, "queue.html", user, items=items, counts=counts,
                      filters=filters, back=urlencode(active),
                      filter_url=lambda key, value: "/queue?" + urlencode(
                          {**active, key: value} if value else
                          {k: v for k, v in active.items() if k != key}),
                      sla_minutes=settings.sla.first_response_minutes,
                      unassigned=inbox.UNASSIGNED)

    async def draft_action(request: Request, user: auth.User, form: Any,
                           action: str) -> Response:
        draft_id = int(request.path_params["draft_id"])
        draft = drafts.get(store, draft_id)
        if draft is None:
            flash(request, "error", f"Draft {draft_id} no longer exists.")
            return back(form)
        mention_id = draft["mention_id"]
        version = int_field(form, "version")
        text = str(form.get("text", draft["draft_text"]))
        try:
            if action == "edit":
                done = actions.edit(draft_id, user.username, version, text)
            elif action == "approve":
                done = actions.approve(draft_id, user.username, version, text)
            elif action == "reject":
                done = actions.reject(draft_id, user.username, version,
                                      str(form.get("note", "")))
            elif action == "undo":
                done = actions.undo(draft_id, user.username)
            elif action == "handled":
                done = actions.replied_by_hand(draft_id, user.username)
            else:
                done = actions.skip(draft_id, user.username)
                skipped = [d for d in request.session.get("skipped", []) if d != draft_id]
                request.session["skipped"] = [*skipped, draft_id][-MAX_SKIPPED:]
        except ActionRefused as exc:
            log.info("%s %s draft %s refused: %s", user.username, action, draft_id, exc)
            flash(request, "error", str(exc))
            return back(form, mention_id)
        except StoreError as exc:
            log.warning("%s %s draft %s failed: %s", user.username, action, draft_id, exc)
            flash(request, "error", f"The database refused: {exc}")
            return back(form, mention_id)
        log.info("%s %s draft %s", user.username, action, draft_id)
        flash(request, "ok", done.message)
        if action == "approve" and settings.pipeline.undo_seconds:
            request.session["undo"] = draft_id  # the page offers Undo for this one
        return back(form, None if action in ("approve", "reject", "handled") else mention_id)

    def draft_route(action: str, permission: str) -> Handler:
        @guard(permission)
        async def handler(request: Request, user: auth.User, form: Any) -> Response:
            return await draft_action(request, user, form, action)

        return handler

    async def claim_action(request: Request, user: auth.User, form: Any,
                           action: str) -> Response:
        mention_id = int(request.path_params["mention_id"])
        try:
            done = (actions.release(mention_id, user.username) if action == "release" else
                    actions.claim(mention_id, user.username, takeover=action == "takeover"))
            flash(request, "ok", done.message)
        except ActionRefused as exc:
            flash(request, "error", str(exc))
        return back(form, mention_id)

    def claim_route(action: str) -> Handler:
        @guard("claim")
        async def handler(request: Request, user: auth.User, form: Any) -> Response:
            return await claim_action(request, user, form, action)

        return handler

    # --- audit, users, health ---------------------------------------------------

    @guard("read")
    async def audit_page(request: Request, user: auth.User, form: Any) -> Response:
        mention = request.query_params.get("mention", "")
        mention_id = int(mention) if mention.isdigit() else None
        rows = audit.entries(store, mention_id=mention_id, limit=500)
        return render(request, "audit.html", user, rows=rows, mention_id=mention_id)

    @guard("users")
    async def users_page(request: Request, user: auth.User, form: Any) -> Response:
        return render(request, "users.html", user, accounts=users.all_users(store),
                      roles=users.ROLES, min_password=auth.MIN_PASSWORD)

    @guard("users")
    async def users_post(request: Request, user: auth.User, form: Any) -> Response:
        action = str(form.get("action", ""))
        name = str(form.get("username", "")).strip()
        now = clock.now()
        try:
            if action == "add":
                users.add(store, name, str(form.get("role", "")),
                          auth.hash_password(str(form.get("password", ""))), now,
                          actor=user.username)
                flash(request, "ok", f"Added {name}.")
            elif action in ("disable", "enable"):
                if name.lower() == user.username.lower():
                    raise ValueError("you cannot disable yourself")
                users.set_disabled(store, name, action == "disable", now, actor=user.username)
                flash(request, "ok", f"{name} {action}d.")
            elif action == "role":
                users.set_role(store, name, str(form.get("role", "")), now,
                               actor=user.username)
                flash(request, "ok", f"{name} is now {form.get('role')}.")
        except (ValueError, StoreError) as exc:
            flash(request, "error", f"Not done: {exc}.")
        return RedirectResponse("/users", 303)

    routes = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/queue", queue_page),
        Route("/drafts/{draft_id:int}/edit", draft_route("edit", "edit"), methods=["POST"]),
        Route("/drafts/{draft_id:int}/approve", draft_route("approve", "approve"),
              methods=["POST"]),
        Route("/drafts/{draft_id:int}/reject", draft_route("reject", "reject"),
              methods=["POST"]),
        Route("/drafts/{draft_id:int}/skip", draft_route("skip", "skip"), methods=["POST"]),
        Route("/drafts/{draft_id:int}/undo", draft_route("undo", "approve"), methods=["POST"]),
        Route("/drafts/{draft_id:int}/handled", draft_route("handled", "approve"),
              methods=["POST"]),
        Route("/mentions/{mention_id:int}/claim", claim_route("claim"), methods=["POST"]),
        Route("/mentions/{mention_id:int}/takeover", claim_route("takeover"),
              methods=["POST"]),
        Route("/mentions/{mention_id:int}/release", claim_route("release"), methods=["POST"]),
        Route("/audit", audit_page),
        Route("/users", users_page, methods=["GET"]),
        Route("/users", users_post, methods=["POST"]),
        *ops.routes(store, guard, render),
        *dashboard.routes(store, clock, guard, render),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=session_secret, session_cookie=SESSION_COOKIE,
                   max_age=SESSION_MAX_AGE, same_site="lax", https_only=False),
    ]
    return Starlette(routes=routes, middleware=middleware)
