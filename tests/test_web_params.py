"""Hostile parameters never get a 500 (issue 21): each value that once did, then
arbitrary text (hypothesis) in every parameter of every route, logged in as an admin
with a valid CSRF token, over the in-process app (starlette TestClient)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from config.settings import BrandSettings, Settings, TopicSettings
from core.clock import ManualClock
from store import users
from store.schema import open_store
from tests.support.actions import seed
from web import auth, params
from web.app import create_app

PASSWORD = "correct horse battery"
SECRET = "params-secret-" + "p" * 24
HUGE = str(2**64 + 5)  # 20 digits
ID23 = "1" * 23
NASTY = ["", "²", "٣", ID23, HUGE, "-1", "0", "1", "9999-12-31", "0001-01-01",
         "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "é", "\x00", "=1+1", "%",
         "2026-11-20", "2026-02-30", "1e400", " 7 ", "1_000", "a" * 300, "root", "all",
         "spam", "done", "topic=delivery", "label=negative", "needs_reply=0", "1:1",
         f"{HUGE}:1", f"1:{HUGE}", "json", "csv"]


class Desk:
    """An admin's client (re-logged in when a fuzzed action ended its session) and a
    stranger's, on one app over a real SQLite file."""

    def __init__(self, tmp_path) -> None:
        self.store = open_store(tmp_path / "desk.db")
        clock = ManualClock()
        for name, role in (("root", "admin"), ("alice", "agent")):
            users.add(self.store, name, role, auth.hash_password(PASSWORD), clock.now())
        self.mention_id, self.draft_id = seed(self.store, clock, "@acme parcel lost",
                                              "Hi @casey, sorry! Please DM us.")
        settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])],
                            topics=[TopicSettings(name="delivery")])
        self.app = create_app(self.store, settings, clock, SECRET)
        self.admin = TestClient(self.app, client=("10.0.0.1", 4000), follow_redirects=False)
        self.stranger = TestClient(self.app, client=("10.0.0.2", 4000),
                                   follow_redirects=False)
        self.token = ""
        self.log_in()

    def log_in(self) -> None:
        page = self.admin.get("/login")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        done = self.admin.post("/login", data={"csrf_token": token, "username": "root",
                                               "password": PASSWORD})
        assert done.status_code == 303, done.text
        users.set_password(self.store, "alice", auth.hash_password(PASSWORD),
                           ManualClock().now(), actor="root")  # undo a fuzzed reset
        self.token = re.search(r'name="csrf-token" content="([^"]+)"',
                               self.admin.get("/queue").text).group(1)

    def send(self, method: str, path: str, values: dict[str, Any],
             json: bool = False) -> Any:
        headers = {"accept": "application/json"} if json else {}
        if method == "GET":
            answer = self.admin.get(path, params=values or None, headers=headers)
        else:
            answer = self.admin.post(path, data={"csrf_token": self.token, **values},
                                     headers=headers)
        if (answer.status_code in (303, 401) and answer.headers.get(
                "location", "").startswith("/login")) or answer.status_code == 401:
            self.log_in()  # a fuzzed "end-sessions" or new password ended ours
        return answer


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    made = Desk(tmp_path_factory.mktemp("params"))
    yield made
    made.store.close()


def _no_5xx(answer: Any, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"


# --- each value that once answered 500 ------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/audit?mention=²", f"/audit?mention={ID23}", "/audit?to=9999-12-31",
    "/audit.csv?to=9999-12-31", "/audit?from=0001-01-01&to=0001-01-01",
    "/dashboard?since=9999-12-31", "/dashboard?until=0001-01-01",
    "/dashboard?since=0001-01-01&until=9999-12-31",
    "/queue/updates?since=0001-01-01T00:00%2B14:00",
    "/queue?since=0001-01-01T00:00%2B14:00&until=9999-12-31T23:59-14:00",
    "/mentions?since=0001-01-01T00:00%2B14:00&page=" + ID23,
    "/queue?page=" + ID23,
])
def test_hostile_query_values_get_no_500(desk, path) -> None:
    _no_5xx(desk.send("GET", path, {}), path)


@pytest.mark.parametrize("path", ["/dashboard/volume", "/dashboard/authors",
                                  "/dashboard/topics"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("query", ["since=9999-12-31", "until=0001-01-01",
                                   "since=9999-12-31&until=9999-12-31"])
def test_every_export_takes_any_range(desk, path, fmt, query) -> None:
    _no_5xx(desk.send("GET", f"{path}.{fmt}?{query}", {}), path)


@pytest.mark.parametrize("path", [f"/drafts/{HUGE}/approve", f"/drafts/{ID23}/undo",
                                  f"/mentions/{HUGE}/claim", f"/mentions/{ID23}/note",
                                  f"/mentions/{HUGE}/label"])
def test_ids_past_what_sqlite_holds_are_400(desk, path) -> None:
    answer = desk.send("POST", path, {"text": "x", "fix": "label=negative"})
    assert answer.status_code == 400 and "not an id" in answer.text


def test_hostile_form_fields_get_no_500(desk) -> None:
    draft, mention = desk.draft_id, desk.mention_id
    for path, form in [
        ("/bulk", {"action": "spam", "pick": [f"{HUGE}:1", f"{ID23}:{HUGE}", "²:1"]}),
        (f"/drafts/{draft}/approve", {"version": HUGE}),
        (f"/drafts/{draft}/edit", {"version": ID23, "text": "hi"}),
        (f"/mentions/{mention}/claim", {"draft": HUGE}),
        (f"/mentions/{mention}/note", {"draft": ID23, "text": "a note"}),
        (f"/mentions/{mention}/label", {"draft": HUGE, "fix": "needs_reply=0",
                                        "version": HUGE}),
    ]:
        for json in (False, True):
            _no_5xx(desk.send("POST", path, form, json=json), path)


@pytest.mark.parametrize("token", ["é", "\u2603" * 40, "tok\x00en"])
def test_a_non_ascii_csrf_token_is_refused_not_a_500(desk, token) -> None:
    stranger = desk.stranger
    stranger.get("/login")
    answer = stranger.post("/login", data={"csrf_token": token, "username": "root",
                                           "password": "x"})
    assert answer.status_code == 403
    answer = desk.admin.post("/mentions/1/note", data={"csrf_token": token, "text": "x"})
    assert answer.status_code == 403


def test_the_readers_answer_values_or_nothing() -> None:
    assert params.ident("42") == 42 and params.ident("²") is None
    assert params.ident(ID23) is None and params.ident(str(2**63 - 1)) == 2**63 - 1
    assert params.integer(HUGE) == -1 and params.integer("-3") == -3
    assert params.day("9999-12-31") is None and params.day("2026-11-20") is not None
    assert params.moment("0001-01-01T00:00+14:00") is None
    assert params.moment("2026-11-20T10:00+01:00").isoformat() == "2026-11-20T09:00:00+00:00"
    assert params.day_start("2026-11-20", days=1) == "2026-11-21T00:00:00+00:00"


# --- arbitrary text in every parameter of every route ------------------------------------------

# Each route's parameters (GET: the query; POST: the form); "{draft}" and "{mention}"
# stand for ids, fuzzed too.
GET_ROUTES: dict[str, tuple[str, ...]] = {
    "/queue": ("brand", "platform", "sentiment", "topic", "status", "assignee", "q",
               "scope", "since", "until", "author", "page", "sort", "open"),
    "/queue/updates": ("since",),
    "/queue/customer/{mention}": (),
    "/mentions": ("brand", "platform", "sentiment", "topic", "status", "needs_reply",
                  "triaged", "since", "until", "author", "page"),
    "/dashboard": ("since", "until", "brand", "platform", "topic"),
    "/dashboard/{table}.{fmt}": ("since", "until", "brand", "platform", "topic"),
    "/audit": ("mention", "actor", "action", "from", "to"),
    "/audit.csv": ("mention", "actor", "action", "from", "to"),
    "/health": ("format",),
    "/users": (), "/replies": (), "/healthz": (), "/metrics": (), "/": (),
    "/login": ("next",),
}
POST_ROUTES: dict[str, tuple[str, ...]] = {
    **{f"/drafts/{{draft}}/{a}": ("version", "text", "note")
       for a in ("edit", "approve", "reject", "skip", "undo", "handled")},
    **{f"/mentions/{{mention}}/{a}": ("draft",)
       for a in ("claim", "takeover", "release")},
    "/mentions/{mention}/assign": ("draft", "assignee"),
    "/mentions/{mention}/note": ("draft", "text"),
    "/mentions/{mention}/label": ("draft", "fix", "topic", "version"),
    "/bulk": ("action", "pick"),
    "/users": ("action", "username", "role", "password", "address"),
    "/outcomes/correct": ("conversation", "outcome", "satisfaction"),
}  # POST /login: test_arbitrary_log_in_forms_get_no_5xx (it would throttle the admin)


def test_the_fuzzed_routes_are_every_route(desk) -> None:
    """A route added later without its parameters here fails this test."""
    found = {(m, r.path.replace("{draft_id:int}", "{draft}")
              .replace("{mention_id:int}", "{mention}")
              .replace("{name:str}.{fmt:str}", "{table}.{fmt}"))
             for r in desk.app.routes if isinstance(r, Route)
             for m in (r.methods or {"GET"}) - {"HEAD"}}
    listed = {("GET", p) for p in GET_ROUTES} | {("POST", p) for p in POST_ROUTES} | {
        ("POST", "/logout"), ("POST", "/login")}
    assert found == listed


values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
ids = st.one_of(st.sampled_from(["1", "2", "0", ID23, HUGE, "99999999"]),
                st.integers(min_value=0, max_value=10**25).map(str))


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_arbitrary_text_in_any_parameter_gets_no_5xx(desk, data) -> None:
    method = data.draw(st.sampled_from(["GET", "POST"]))
    routes = GET_ROUTES if method == "GET" else POST_ROUTES
    template = data.draw(st.sampled_from(sorted(routes)))
    path = template.format(draft=data.draw(ids), mention=data.draw(ids),
                           table=data.draw(st.sampled_from(["volume", "authors", "x"])),
                           fmt=data.draw(st.sampled_from(["csv", "json", "txt"])))
    names = routes[template]
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    form: dict[str, Any] = {n: data.draw(values) for n in chosen}
    if "pick" in form:
        form["pick"] = data.draw(st.lists(values, max_size=4))
    json = data.draw(st.booleans())
    _no_5xx(desk.send(method, path, form, json=json), f"{method} {path} {form!r}")


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(token=st.one_of(st.just(None), values), username=values,
       password=st.text(max_size=20), nxt=values)
def test_arbitrary_log_in_forms_get_no_5xx(desk, token, username, password, nxt) -> None:
    """The unauthenticated POST /login, csrf token included (None: the valid one)."""
    if token is None:
        token = re.search(r'name="csrf-token" content="([^"]+)"',
                          desk.stranger.get("/login").text).group(1)
    answer = desk.stranger.post("/login", data={"csrf_token": token, "username": username,
                                                "password": password, "next": nxt})
    _no_5xx(answer, f"/login {token!r} {username!r}")
