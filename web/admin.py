"""Admin and oversight pages: users (add, roles, disable, new passwords, unlocking the
log-in throttle) and the audit log, filtered and exported as CSV."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import csvfile
from core.errors import ConflictError, StoreError
from store import audit, sessions, users
from web import auth, params
from web.auth import User
from web.context import Web

AUDIT_PAGE = 500
CSV_COLUMNS = ("id", "at", "actor", "action", "mention_id", "draft_id", "before", "after",
               "note")


def routes(web: Web) -> list[Route]:
    store, clock = web.store, web.clock

    def audit_filters(request: Request) -> dict[str, Any]:
        q = request.query_params
        return {"mention_id": params.ident(q.get("mention", "")),
                "actor": q.get("actor", "")[:100], "action": q.get("action", "")[:100],
                "since": params.day_start(q.get("from")),
                "until": params.day_start(q.get("to"), days=1)}

    @web.guard("read")
    def audit_page(request: Request, user: User, form: Any) -> Response:
        filters = audit_filters(request)
        rows = audit.entries(store, **filters, limit=AUDIT_PAGE)
        query = request.url.query
        return web.render(request, "audit.html", user, rows=rows,
                          mention_id=filters["mention_id"], choices=audit.choices(store),
                          q=request.query_params, limit=AUDIT_PAGE,
                          csv_url="/audit.csv" + (f"?{query}" if query else ""))

    @web.guard("read")
    def audit_csv(request: Request, user: User, form: Any) -> Response:
        body = csvfile.write(CSV_COLUMNS, ([row[c] for c in CSV_COLUMNS] for row in
                                           audit.entries(store, **audit_filters(request),
                                                         limit=None)))
        stamp = clock.now().strftime("%Y%m%d-%H%M")
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="mentiondesk-audit-{stamp}.csv"'})

    @web.guard("users")
    def users_page(request: Request, user: User, form: Any) -> Response:
        locked = web.throttle.locked()
        keys = set(locked["accounts"])
        live = sessions.live_counts(store, clock.now())
        return web.render(request, "users.html", user, accounts=[
            {**a, "locked": users.name_key(a["username"]) in keys,
             "sessions": live.get(a["id"], 0)} for a in users.all_users(store)],
            roles=users.ROLES,
            locked_addresses=locked["addresses"], min_password=auth.MIN_PASSWORD)

    @web.guard("users")
    def users_post(request: Request, user: User, form: FormData | None) -> Response:
        def field(name: str) -> str:
            value = form.get(name, "") if form is not None else ""
            return value if isinstance(value, str) else ""

        action, name, now = field("action"), field("username").strip(), clock.now()
        try:
            if action == "add":
                name = users.clean_username(name)
                users.add(store, name, field("role"), auth.hash_password(field("password")),
                          now, actor=user.username)
                web.flash(request, "ok", f"Added {name}.")
            elif action in ("disable", "enable"):
                if users.name_key(name) == users.name_key(user.username):
                    raise ValueError("you cannot disable yourself")
                users.set_disabled(store, name, action == "disable", now, actor=user.username)
                web.flash(request, "ok", f"{name} {action}d.")
            elif action == "role":
                users.set_role(store, name, field("role"), now, actor=user.username)
                web.flash(request, "ok", f"{name} is now {field('role')}; their sessions "
                                         "ended.")
            elif action == "password":
                users.set_password(store, name, auth.hash_password(field("password")), now,
                                   actor=user.username)
                web.throttle.clear_account(users.name_key(name))
                web.flash(request, "ok", f"New password set for {name}; their sessions "
                                         "ended.")
            elif action == "end-sessions":
                row = users.credentials(store, name)
                if row is None:
                    raise StoreError(f"no user {name!r}")
                ended = sessions.end_all(store, row["id"], user.username, now)
                web.flash(request, "ok", f"Ended {ended} session(s) of {row['username']}.")
            elif action == "unlock":
                web.throttle.clear_account(users.name_key(name))
                web.flash(request, "ok", f"{name} can log in again from anywhere.")
            elif action == "unblock":
                web.throttle.clear_address(field("address"))
                web.flash(request, "ok", f"{field('address')} may try to log in again.")
        except (ValueError, ConflictError, StoreError) as exc:
            web.flash(request, "error", f"Not done: {exc}.")
        return RedirectResponse("/users", 303)

    return [
        Route("/audit", audit_page),
        Route("/audit.csv", audit_csv),
        Route("/users", users_page, methods=["GET"]),
        Route("/users", users_post, methods=["POST"]),
    ]
