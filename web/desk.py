"""The queue page and every action on an item: draft actions, claims, assignment,
notes, label corrections, bulk closing, and the poll that announces new work.

Handlers are module-level functions with one signature, ``(request, user, form) ->
Response`` (the guard's; the app's ``Web`` is ``request.app.state.web``), grouped by
the page they serve: the queue itself, a draft's actions, a mention's tools, bulk.
``routes`` only pairs them with paths and permissions. Every write goes through
``pipeline.actions``.

A POST from the page's fetch code (``Accept: application/json``) answers with the
message and the one item redrawn (or gone) and the queue's new count; a plain form
POST gets a flash and a redirect back, so the page also works without JavaScript.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.errors import ActionRefused, StoreError
from pipeline.actions import Done, ranking
from store import inbox, users
from web.auth import User
from web.context import Web
from web.filters import read as read_filters
from web.params import integer as _int
from web.params import moment
from web.params import text as _text
from web.queue import FILTERS, SORTS, build_items

log = logging.getLogger(__name__)

MAX_SKIPPED = 100
MAX_NOTE = 2000


def _web(request: Request) -> Web:
    return request.app.state.web


def _topics(web: Web) -> list[str]:
    return sorted({t.name for t in web.settings.topics} | {"general"})


def _item_context(request: Request, user: User) -> dict[str, Any]:
    web = _web(request)
    return {"user": user, "csrf": request.session.get("csrf", ""),
            "assignees": users.names(web.store), "topics": _topics(web)}


def _back_url(request: Request) -> str:
    """The queue or mentions page the form was on (its filters and page), from the
    same-origin Referer; the plain queue otherwise."""
    ref = urlsplit(request.headers.get("referer", ""))
    same = ref.netloc in ("", request.url.netloc)
    if same and ref.path in ("/queue", "/mentions") and "\n" not in ref.query:
        return ref.path + (f"?{ref.query}" if ref.query else "")
    return "/queue"


def _answer(request: Request, user: User, ok: bool, message: str,
            draft_id: int | None = None, removed: list[int] | None = None,
            undo: int | None = None) -> Response:
    """The outcome, as JSON with the item redrawn for fetch, else flash + redirect.
    The JSON carries the queue's whole count from the same cached query the page used,
    so the badge, the header and the pager are set from one number, not counted down."""
    web = _web(request)
    log.info("%s %s: %s", user.username, request.url.path, message)
    if not web.wants_json(request):
        web.flash(request, "ok" if ok else "error", message)
        return RedirectResponse(_back_url(request), 303)
    gone, html = list(removed or []), ""
    if draft_id is not None and draft_id not in gone:
        now = web.clock.now()
        row = inbox.item(web.store, draft_id, ranking(web.settings, now))
        if row is None:
            gone.append(draft_id)
        else:
            row["skipped"] = draft_id in request.session.get("skipped", [])
            html = web.fragment("_item.html", it=build_items(
                web.store, web.settings, now, [row])[0], opened=True,
                **_item_context(request, user))
    everything, _ = web.facets({})
    total, counts = web.facets(_page_filters(request, user))
    return JSONResponse({"ok": ok, "message": message, "html": html, "removed": gone,
                         "draft": draft_id, "undo": undo, "everything": everything,
                         "total": total, "counts": counts})


def _page_filters(request: Request, user: User) -> dict[str, str]:
    """The filters of the queue page the action came from (its Referer), so the counts
    sent back are the ones that page shows."""
    query = urlsplit(_back_url(request)).query
    filters, _ = read_filters(QueryParams(query), FILTERS)
    if filters["assignee"] == "me":
        filters["assignee"] = user.username
    return filters


def _refused(request: Request, user: User, exc: Exception, draft_id: int | None) -> Response:
    text = str(exc) if isinstance(exc, ActionRefused) else f"The database refused: {exc}"
    return _answer(request, user, False, text, draft_id)


# --- the queue page ---------------------------------------------------------------------

def queue_page(request: Request, user: User, form: FormData | None) -> Response:
    """The list (sortable, paged) beside the opened item's detail."""
    web = _web(request)
    settings = web.settings
    filters, notes = read_filters(request.query_params, FILTERS)
    if filters["assignee"] == "me":
        filters["assignee"] = user.username
    sort = request.query_params.get("sort", "priority")
    sort = sort if sort in SORTS else "priority"
    size = settings.web.page_size
    total, counts = web.facets(filters)  # one query: header, pager, sidebar
    everything, _ = web.facets({})  # the nav badge (the same query, unfiltered)
    pages = max(1, math.ceil(total / size))
    page = min(max(1, _int(request.query_params.get("page"), 1)), pages)
    now = web.clock.now()
    rows = inbox.queue(web.store, filters, ranking(settings, now),
                       skipped=tuple(request.session.get("skipped", [])),
                       limit=size, offset=(page - 1) * size, sort=sort)
    opened = _int(request.query_params.get("open"), 0)
    if not any(r["draft_id"] == opened for r in rows):
        opened = rows[0]["draft_id"] if rows else 0
    items = build_items(web.store, settings, now, rows, customers=(opened,))
    active = {k: v for k, v in filters.items() if v}
    keep = {**active, **({"sort": sort} if sort != "priority" else {})}
    return web.render(
        request, "queue.html", user, items=items, counts=counts, total=total,
        everything=everything, filters=filters, active=active, filtered=bool(active),
        page=page, pages=pages, sort=sort, sorts=SORTS, opened=opened,
        first=(page - 1) * size + 1 if total else 0, last=(page - 1) * size + len(items),
        page_url=lambda n: "/queue?" + urlencode({**keep, "page": n}),
        open_url=lambda d: "/queue?" + urlencode({**keep, "page": page, "open": d}),
        sort_url=lambda key: "/queue?" + urlencode(
            {**active, **({"sort": key} if key != "priority" else {})}),
        filter_url=lambda key, value: "/queue?" + urlencode(
            {**keep, key: value} if value else
            {k: v for k, v in keep.items() if k != key}),
        sla_minutes=settings.sla.first_response_minutes, unassigned=inbox.UNASSIGNED,
        saved_replies=settings.web.saved_replies, notes=notes,
        **{k: v for k, v in _item_context(request, user).items()
           if k not in ("user", "csrf")})


def customer_panel(request: Request, user: User, form: FormData | None) -> Response:
    """The customer panel of one mention, for the item an agent opens."""
    web = _web(request)
    mention_id = int(request.path_params["mention_id"])
    found = web.store.query("SELECT a.handle, a.followers, m.platform FROM mentions m"
                            " JOIN authors a ON a.id = m.author_id WHERE m.id = ?",
                            [mention_id])
    if not found:
        return Response("no such mention", status_code=404, media_type="text/plain")
    it = {"mention_id": mention_id, "author_handle": found[0]["handle"],
          "author_followers": found[0]["followers"], "platform": found[0]["platform"],
          "customer": inbox.customer(web.store, mention_id)}
    return Response(web.fragment("_customer.html", it=it), media_type="text/html")


def updates(request: Request, user: User, form: FormData | None) -> Response:
    """What arrived since the page was drawn: for the notice above the queue."""
    web = _web(request)
    now = web.clock.now()
    since = moment(request.query_params.get("since")) or now - timedelta(minutes=1)
    found = inbox.alerts(web.store, ranking(web.settings, now), since,
                         high=web.settings.web.alert_priority,
                         warn_minutes=web.settings.web.sla_warn_minutes)
    total, _ = web.facets({})
    return JSONResponse({**found, "total": total, "now": now.isoformat(timespec="seconds")})


# --- a draft's actions --------------------------------------------------------------------

def _draft_done(request: Request, user: User, form: FormData | None, action: str,
                draft_id: int) -> Done:
    acts = _web(request).actions
    version = _int(form.get("version") if form else None)
    text = form.get("text") if form is not None else None
    text = text if isinstance(text, str) else None
    if action == "edit":
        return acts.edit(draft_id, user.username, version, text or "")
    if action == "approve":
        return acts.approve(draft_id, user.username, version, text)
    if action == "reject":
        return acts.reject(draft_id, user.username, version, _text(form, "note", MAX_NOTE))
    if action == "undo":
        return acts.undo(draft_id, user.username)
    return acts.replied_by_hand(draft_id, user.username)


def _on_draft(request: Request, user: User, form: FormData | None, action: str) -> Response:
    draft_id = int(request.path_params["draft_id"])
    try:
        done = _draft_done(request, user, form, action, draft_id)
    except (ActionRefused, StoreError) as exc:
        return _refused(request, user, exc, draft_id)
    web = _web(request)
    undo = action == "approve" and web.settings.pipeline.undo_seconds > 0
    if undo and not web.wants_json(request):
        request.session["undo"] = draft_id  # the next page offers Undo for this one
    return _answer(request, user, True, done.message, draft_id,
                   undo=draft_id if undo else None)


def approve(request: Request, user: User, form: FormData | None) -> Response:
    return _on_draft(request, user, form, "approve")


def edit(request: Request, user: User, form: FormData | None) -> Response:
    return _on_draft(request, user, form, "edit")


def reject(request: Request, user: User, form: FormData | None) -> Response:
    return _on_draft(request, user, form, "reject")


def undo(request: Request, user: User, form: FormData | None) -> Response:
    return _on_draft(request, user, form, "undo")


def handled(request: Request, user: User, form: FormData | None) -> Response:
    return _on_draft(request, user, form, "handled")


def skip(request: Request, user: User, form: FormData | None) -> Response:
    """The item goes to the end of this agent's queue (kept in the session)."""
    draft_id = int(request.path_params["draft_id"])
    try:
        done = _web(request).actions.skip(draft_id, user.username)
    except (ActionRefused, StoreError) as exc:
        return _refused(request, user, exc, draft_id)
    skipped = [d for d in request.session.get("skipped", []) if d != draft_id]
    request.session["skipped"] = [*skipped, draft_id][-MAX_SKIPPED:]
    return _answer(request, user, True, done.message, removed=[draft_id])


# --- a mention's tools ---------------------------------------------------------------------

def _mention(request: Request, form: FormData | None) -> tuple[int, int | None]:
    """(the mention, the draft shown with it) of a mention tool's request."""
    return (int(request.path_params["mention_id"]),
            _int(form.get("draft") if form else None, 0) or None)


def _claiming(request: Request, user: User, form: FormData | None, action: str) -> Response:
    mention_id, draft_id = _mention(request, form)
    acts = _web(request).actions
    try:
        if action == "release":
            done = acts.release(mention_id, user.username)
            return _answer(request, user, done.changed, done.message, draft_id)
        done = acts.claim(mention_id, user.username, takeover=action == "takeover")
    except ActionRefused as exc:
        return _refused(request, user, exc, draft_id)
    return _answer(request, user, True, done.message, draft_id)


def claim(request: Request, user: User, form: FormData | None) -> Response:
    return _claiming(request, user, form, "claim")


def takeover(request: Request, user: User, form: FormData | None) -> Response:
    return _claiming(request, user, form, "takeover")


def release(request: Request, user: User, form: FormData | None) -> Response:
    return _claiming(request, user, form, "release")


def assign(request: Request, user: User, form: FormData | None) -> Response:
    mention_id, draft_id = _mention(request, form)
    web = _web(request)
    try:
        done = web.actions.assign(mention_id, user.username, _text(form, "assignee", 100))
    except (ActionRefused, StoreError) as exc:
        return _refused(request, user, exc, draft_id)
    return _answer(request, user, True, done.message, draft_id)


def note(request: Request, user: User, form: FormData | None) -> Response:
    mention_id, draft_id = _mention(request, form)
    try:
        done = _web(request).actions.note(mention_id, user.username,
                                          _text(form, "text", MAX_NOTE))
    except (ActionRefused, StoreError) as exc:
        return _refused(request, user, exc, draft_id)
    return _answer(request, user, True, done.message, draft_id)


def label(request: Request, user: User, form: FormData | None) -> Response:
    """A correction of the model's tone or topic, or "no reply needed" (which also
    closes the draft: the agent's action)."""
    mention_id, draft_id = _mention(request, form)
    web = _web(request)
    field, _, value = _text(form, "fix", 100).partition("=")
    if field == "topic":
        value = _text(form, "topic", 100)
    try:
        done = web.actions.correct(mention_id, user.username, field, value,
                                   draft_id=draft_id,
                                   version=_int(form.get("version") if form else None))
    except (ActionRefused, StoreError) as exc:
        return _answer(request, user, False, str(exc) if isinstance(exc, ActionRefused)
                       else f"Not done: {exc}.", draft_id)
    if done.removed:
        return _answer(request, user, True, done.message, removed=list(done.removed))
    return _answer(request, user, True, done.message, draft_id)


# --- bulk -----------------------------------------------------------------------------------

def bulk(request: Request, user: User, form: FormData | None) -> Response:
    picks = [p.partition(":") for p in (form.getlist("pick") if form else [])
             if isinstance(p, str)]
    try:
        done = _web(request).actions.bulk([(_int(d), _int(v)) for d, _, v in picks],
                                          user.username, _text(form, "action", 20))
    except ActionRefused as exc:
        return _answer(request, user, False, str(exc))
    return _answer(request, user, done.changed, done.message, removed=list(done.removed))


# (path, handler, permission, methods)
PAGES: list[tuple[str, Any, str, list[str]]] = [
    ("/queue", queue_page, "read", ["GET"]),
    ("/queue/updates", updates, "read", ["GET"]),
    ("/queue/customer/{mention_id:int}", customer_panel, "read", ["GET"]),
    ("/drafts/{draft_id:int}/edit", edit, "edit", ["POST"]),
    ("/drafts/{draft_id:int}/approve", approve, "approve", ["POST"]),
    ("/drafts/{draft_id:int}/reject", reject, "reject", ["POST"]),
    ("/drafts/{draft_id:int}/skip", skip, "skip", ["POST"]),
    ("/drafts/{draft_id:int}/undo", undo, "approve", ["POST"]),
    ("/drafts/{draft_id:int}/handled", handled, "approve", ["POST"]),
    ("/mentions/{mention_id:int}/claim", claim, "claim", ["POST"]),
    ("/mentions/{mention_id:int}/takeover", takeover, "claim", ["POST"]),
    ("/mentions/{mention_id:int}/release", release, "claim", ["POST"]),
    ("/mentions/{mention_id:int}/assign", assign, "assign", ["POST"]),
    ("/mentions/{mention_id:int}/note", note, "note", ["POST"]),
    ("/mentions/{mention_id:int}/label", label, "label", ["POST"]),
    ("/bulk", bulk, "reject", ["POST"]),
]


def routes(web: Web) -> list[Route]:
    """The queue's routes, each handler behind the guard for its permission."""
    return [Route(path, web.guard(permission)(handler), methods=methods)
            for path, handler, permission, methods in PAGES]
