"""The queue page and every action on an item: draft actions, claims, assignment,
notes, label corrections, bulk closing, and the poll that announces new work.

A POST from the page's fetch code (``Accept: application/json``) answers with the
message and the one item redrawn (or gone); a plain form POST gets a flash and a
redirect back, so the page also works without JavaScript.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from core.errors import ActionRefused, ConflictError, StoreError
from store import inbox, users
from web.auth import User
from web.context import Web
from web.filters import read as read_filters
from web.params import integer as _int
from web.params import moment
from web.params import text as _text
from web.queue import FILTERS, build_items, ranking

log = logging.getLogger(__name__)

MAX_SKIPPED = 100
MAX_NOTE = 2000
BULK_NOTES = {"spam": "spam", "done": "done without reply"}


def routes(web: Web) -> list[Route]:
    store, settings, clock = web.store, web.settings, web.clock

    def topics() -> list[str]:
        return sorted({t.name for t in settings.topics} | {"general"})

    def item_context(request: Request, user: User) -> dict[str, Any]:
        return {"user": user, "csrf": request.session.get("csrf", ""),
                "assignees": users.names(store), "topics": topics()}

    def back_url(request: Request) -> str:
        """The queue page the form was on (its filters and page), from the same-origin
        Referer; the plain queue otherwise."""
        ref = urlsplit(request.headers.get("referer", ""))
        same = ref.netloc in ("", request.url.netloc)
        if same and ref.path == "/queue" and "\n" not in ref.query:
            return "/queue" + (f"?{ref.query}" if ref.query else "")
        return "/queue"

    def answer(request: Request, user: User, form: FormData | None, ok: bool, message: str,
               draft_id: int | None = None, removed: list[int] | None = None,
               undo: int | None = None) -> Response:
        """The outcome, as JSON with the item redrawn for fetch, else flash + redirect."""
        log.info("%s %s: %s", user.username, request.url.path, message)
        if not web.wants_json(request):
            web.flash(request, "ok" if ok else "error", message)
            return RedirectResponse(back_url(request), 303)
        gone, html = list(removed or []), ""
        if draft_id is not None and draft_id not in gone:
            row = inbox.item(store, draft_id, ranking(settings, clock.now()))
            if row is None:
                gone.append(draft_id)
            else:
                row["skipped"] = draft_id in request.session.get("skipped", [])
                html = web.fragment("_item.html", it=build_items(
                    store, settings, clock.now(), [row])[0],
                    **item_context(request, user))
        return JSONResponse({"ok": ok, "message": message, "html": html, "removed": gone,
                             "draft": draft_id, "undo": undo})

    # --- the page -----------------------------------------------------------------

    @web.guard("read")
    def queue_page(request: Request, user: User, form: Any) -> Response:
        filters, notes = read_filters(request.query_params, FILTERS)
        if filters["assignee"] == "me":
            filters["assignee"] = user.username
        size = settings.web.page_size
        total, counts = web.facets(filters)
        pages = max(1, math.ceil(total / size))
        page = min(max(1, _int(request.query_params.get("page"), 1)), pages)
        now = clock.now()
        rows = inbox.queue(store, filters, ranking(settings, now),
                           skipped=tuple(request.session.get("skipped", [])),
                           limit=size, offset=(page - 1) * size)
        items = build_items(store, settings, now, rows)
        active = {k: v for k, v in filters.items() if v}
        return web.render(
            request, "queue.html", user, items=items, counts=counts, total=total,
            filters=filters, active=active, filtered=bool(active), page=page, pages=pages,
            first=(page - 1) * size + 1 if total else 0, last=(page - 1) * size + len(items),
            page_url=lambda n: "/queue?" + urlencode({**active, "page": n}),
            filter_url=lambda key, value: "/queue?" + urlencode(
                {**active, key: value} if value else
                {k: v for k, v in active.items() if k != key}),
            sla_minutes=settings.sla.first_response_minutes, unassigned=inbox.UNASSIGNED,
            saved_replies=settings.web.saved_replies, notes=notes,
            **{k: v for k, v in item_context(request, user).items()
               if k not in ("user", "csrf")})

    @web.guard("read")
    def updates(request: Request, user: User, form: Any) -> Response:
        """What arrived since the page was drawn: for the notice above the queue."""
        now = clock.now()
        since = moment(request.query_params.get("since")) or now - timedelta(minutes=1)
        found = inbox.alerts(store, ranking(settings, now), since,
                             high=settings.web.alert_priority,
                             warn_minutes=settings.web.sla_warn_minutes)
        total, _ = web.facets({})
        return JSONResponse({**found, "total": total,
                             "now": now.isoformat(timespec="seconds")})

    # --- draft actions ----------------------------------------------------------

    def draft_action(request: Request, user: User, form: FormData | None,
                     action: str) -> Response:
        draft_id = int(request.path_params["draft_id"])
        version = _int(form.get("version") if form else None)
        text = form.get("text") if form is not None else None
        text = text if isinstance(text, str) else None
        acts = web.actions
        try:
            if action == "edit":
                done = acts.edit(draft_id, user.username, version, text or "")
            elif action == "approve":
                done = acts.approve(draft_id, user.username, version, text)
            elif action == "reject":
                done = acts.reject(draft_id, user.username, version,
                                   _text(form, "note", MAX_NOTE))
            elif action == "undo":
                done = acts.undo(draft_id, user.username)
            elif action == "handled":
                done = acts.replied_by_hand(draft_id, user.username)
            else:  # skip: the item goes to the end of this agent's queue
                done = acts.skip(draft_id, user.username)
                skipped = [d for d in request.session.get("skipped", []) if d != draft_id]
                request.session["skipped"] = [*skipped, draft_id][-MAX_SKIPPED:]
                return answer(request, user, form, True, done.message, removed=[draft_id])
        except ActionRefused as exc:
            return answer(request, user, form, False, str(exc), draft_id)
        except StoreError as exc:
            return answer(request, user, form, False, f"The database refused: {exc}",
                          draft_id)
        undo = action == "approve" and settings.pipeline.undo_seconds > 0
        if undo and not web.wants_json(request):
            request.session["undo"] = draft_id  # the next page offers Undo for this one
        return answer(request, user, form, True, done.message, draft_id,
                      undo=draft_id if undo else None)

    def draft_route(action: str, permission: str) -> Any:
        @web.guard(permission)
        def handler(request: Request, user: User, form: FormData | None) -> Response:
            return draft_action(request, user, form, action)

        return handler

    # --- mention actions --------------------------------------------------------

    def claim_action(request: Request, user: User, form: FormData | None,
                     action: str) -> Response:
        mention_id = int(request.path_params["mention_id"])
        draft_id = _int(form.get("draft") if form else None, 0) or None
        try:
            if action == "release":
                done = web.actions.release(mention_id, user.username)
                return answer(request, user, form, done.message.startswith("Released"),
                              done.message, draft_id)
            done = web.actions.claim(mention_id, user.username, takeover=action == "takeover")
        except ActionRefused as exc:
            return answer(request, user, form, False, str(exc), draft_id)
        return answer(request, user, form, True, done.message, draft_id)

    def claim_route(action: str) -> Any:
        @web.guard("claim")
        def handler(request: Request, user: User, form: FormData | None) -> Response:
            return claim_action(request, user, form, action)

        return handler

    @web.guard("assign")
    def assign(request: Request, user: User, form: FormData | None) -> Response:
        mention_id = int(request.path_params["mention_id"])
        draft_id = _int(form.get("draft") if form else None, 0) or None
        assignee = _text(form, "assignee", 100)
        if assignee not in users.names(store):
            return answer(request, user, form, False,
                          f"Not done: {assignee or 'nobody'} cannot take mentions.", draft_id)
        try:
            before = inbox.assign(store, mention_id, assignee, user.username, clock.now())
        except ConflictError as exc:
            return answer(request, user, form, False, f"Not done: {exc}.", draft_id)
        message = (f"Already assigned to {assignee}." if before == assignee else
                   f"Assigned to {assignee}" + (f" (was {before})." if before else "."))
        return answer(request, user, form, True, message, draft_id)

    @web.guard("note")
    def note(request: Request, user: User, form: FormData | None) -> Response:
        mention_id = int(request.path_params["mention_id"])
        draft_id = _int(form.get("draft") if form else None, 0) or None
        text = _text(form, "text", MAX_NOTE)
        if not text:
            return answer(request, user, form, False, "Not added: the note is empty.",
                          draft_id)
        try:
            inbox.add_note(store, mention_id, user.username, text, clock.now())
        except ConflictError as exc:
            return answer(request, user, form, False, f"Not added: {exc}.", draft_id)
        return answer(request, user, form, True, "Note added.", draft_id)

    @web.guard("label")
    def label(request: Request, user: User, form: FormData | None) -> Response:
        mention_id = int(request.path_params["mention_id"])
        draft_id = _int(form.get("draft") if form else None, 0) or None
        field, _, value = _text(form, "fix", 100).partition("=")
        if field == "topic":
            value = _text(form, "topic", 100)
        allowed = {"label": ("negative", "neutral", "positive"), "topic": tuple(topics()),
                   "needs_reply": ("0",)}
        if value not in allowed.get(field, ()):
            return answer(request, user, form, False,
                          f"Not done: {value!r} is not a {field}.", draft_id)
        now = clock.now()
        try:
            if field == "needs_reply" and draft_id:  # closing it is the agent's action
                web.actions.reject(draft_id, user.username,
                                   _int(form.get("version") if form else None),
                                   "no reply needed (label corrected)")
            changed = inbox.correct_label(store, mention_id, field, value, user.username, now)
            if field == "needs_reply" and draft_id:
                return answer(request, user, form, True, "Closed: no reply needed, and the "
                              "model's label is corrected.", removed=[draft_id])
        except ActionRefused as exc:
            return answer(request, user, form, False, str(exc), draft_id)
        except (ConflictError, StoreError) as exc:
            return answer(request, user, form, False, f"Not done: {exc}.", draft_id)
        shown = {"label": "Tone", "topic": "Topic"}.get(field, field)
        message = (f"{shown} corrected to {value}; kept for the model's training." if changed
                   else f"{shown} was already {value}.")
        return answer(request, user, form, True, message, draft_id)

    @web.guard("reject")
    def bulk(request: Request, user: User, form: FormData | None) -> Response:
        action = _text(form, "action", 20)
        note_text = BULK_NOTES.get(action)
        picks = [p for p in (form.getlist("pick") if form else []) if isinstance(p, str)]
        if note_text is None or not picks:
            return answer(request, user, form, False, "Nothing done: select items first.")
        done, refused = [], []
        for pick in picks[:500]:
            draft_id, _, version = pick.partition(":")
            try:
                web.actions.reject(_int(draft_id), user.username, _int(version), note_text)
                done.append(int(draft_id))
            except (ActionRefused, StoreError) as exc:
                refused.append(str(exc))
        verb = "Rejected as spam" if action == "spam" else "Closed without reply"
        message = f"{verb}: {len(done)}."
        if refused:
            message += f" Not done: {len(refused)} ({refused[0]})."
        return answer(request, user, form, not refused, message, removed=done)

    return [
        Route("/queue", queue_page),
        Route("/queue/updates", updates),
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
        Route("/mentions/{mention_id:int}/assign", assign, methods=["POST"]),
        Route("/mentions/{mention_id:int}/note", note, methods=["POST"]),
        Route("/mentions/{mention_id:int}/label", label, methods=["POST"]),
        Route("/bulk", bulk, methods=["POST"]),
    ]
