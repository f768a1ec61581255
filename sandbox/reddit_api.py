"""A local server speaking the subset of the Reddit API that mentiondesk's praw code uses.

The real ``praw`` client talks to it (``oauth_url`` / ``reddit_url`` pointed here), so
tests, the demo and agent practice exercise praw's own auth, paging, rate limiting and
error mapping. Answers use Reddit's JSON shapes (``Listing``, ``t1``, ``t3``, ``after``)
with every field praw reads, so praw never re-fetches an item.

Fault switches (``fail_next``, ``exhaust_budget``, ``revoke_tokens``) script 429s, 5xx,
unreadable bodies, write-then-fail and expired tokens. In test mode the rate-limit
headers say ``used 0 / reset 0`` so prawcore never spaces requests out.

Reddit's search index is late: a submission shows up in ``/r/{sub}/search`` only
``search_lag_seconds`` after it was posted (listings and lookups by id show it at once).
Its search matching is its own (imports nothing from ``listener/`` or ``responder/``).
It is a small Starlette app (``sandbox.server``).

Start it with :func:`serve` (foreground, the ``main.py sandbox`` entry point, like the X
sandbox's), :func:`start` (background thread) or ``with RedditSandbox() as sbx:`` in tests.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import secrets as _secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from sandbox import run_until_stopped
from sandbox.server import Answer, AppServer, Incoming, make_app

log = logging.getLogger(__name__)

MAX_BODY = 10_000
PAGE_MAX = 100
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(number: int) -> str:
    """Reddit ids are base36 counters."""
    out = ""
    while True:
        number, digit = divmod(number, 36)
        out = _B36[digit] + out
        if not number:
            return out


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return "_".join(words)[:50] or "post"


@dataclass
class SandboxCredentials:
    """What the token endpoint accepts; ``None`` in the sandbox accepts anything."""

    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    username: str = "lumora"
    password: str = "sandbox-password"


@dataclass
class Fault:
    """One scripted misbehaviour for the next matching request."""

    status: int | Literal["malformed"]
    path: str = ""  # prefix of the normalised path; "" matches every API path
    method: str = ""  # "" matches any
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    commit: bool = False  # do the real work first, then answer with the fault


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    form: dict[str, str]
    status: int


class RedditSandbox:
    """The fake Reddit: its data, its token rules and its fault switches."""

    def __init__(
        self,
        *,
        credentials: SandboxCredentials | None = None,
        rate_headers: Literal["test", "real", "none"] = "test",
        now: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.credentials = credentials
        self.rate_headers = rate_headers
        self.now = now
        self._host, self._port = host, port
        self._lock = threading.RLock()
        self._things: dict[str, dict[str, Any]] = {}  # fullname -> {"kind", "data", "visible_at"}
        self._order: dict[str, int] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._subreddits: dict[str, str] = {}  # lower -> display name
        self._tokens: dict[str, str | None] = {}  # token -> username (None: read-only)
        self._faults: list[Fault] = []
        self._budget: tuple[int, int] | None = None  # (remaining, reset seconds)
        self._used = 0
        self._window_start = now()
        self._next = {"t1": 1_000_000, "t2": 50_000, "t3": 200_000}
        self.requests: list[Recorded] = []
        self.search_lag_seconds = 0.0  # Reddit indexes posts for search late (minutes)
        self._server: AppServer | None = None
        self._url = ""

    # --- lifecycle -------------------------------------------------------------
    def start(self) -> str:
        self._server = AppServer(make_app(self.answer), self._host, self._port,
                                 "reddit-sandbox")
        self._url = self._server.start()
        log.info("reddit sandbox listening on %s", self.url)
        return self.url

    def answer(self, request: Incoming) -> Answer:
        raw = request.path + (f"?{request.query}" if request.query else "")
        status, headers, data = self.handle(request.method, raw, request.headers, request.body)
        return Answer(status, data, headers)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> RedditSandbox:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL for praw's ``oauth_url`` and ``reddit_url`` (kept after stop)."""
        assert self._url, "start() the sandbox first"
        return self._url

    # --- data --------------------------------------------------------------------
    def _new_id(self, kind: str) -> str:
        self._next[kind] += 1
        return base36(self._next[kind])

    def add_user(self, name: str, karma: int = 100) -> dict[str, Any]:
        with self._lock:
            key = name.lower()
            if key not in self._users:
                uid = self._new_id("t2")
                self._users[key] = {
                    "id": uid, "name": name, "fullname": f"t2_{uid}",
                    "link_karma": karma // 3, "comment_karma": karma - karma // 3,
                    "created_utc": 1_500_000_000.0,
                }
            return self._users[key]

    def add_subreddit(self, name: str) -> str:
        with self._lock:
            return self._subreddits.setdefault(name.lower(), name)

    def _store(self, kind: str, data: dict[str, Any], visible_at: float | None) -> dict[str, Any]:
        self._things[data["name"]] = {"kind": kind, "data": data, "visible_at": visible_at}
        self._order[data["name"]] = len(self._order)
        return data

    def add_submission(
        self, subreddit: str, title: str, selftext: str = "", author: str | None = "ann",
        *, created_utc: float | None = None, visible_at: float | None = None,
        score: int = 1, karma: int = 100, **extra: Any,
    ) -> dict[str, Any]:
        """A self post; ``author=None`` is a deleted account."""
        with self._lock:
            sub = self.add_subreddit(subreddit)
            sid = self._new_id("t3")
            user = self.add_user(author, karma) if author else None
            created = self.now() if created_utc is None else created_utc
            permalink = f"/r/{sub}/comments/{sid}/{_slug(title)}/"
            data = {
                "id": sid, "name": f"t3_{sid}", "title": title, "selftext": selftext,
                "selftext_html": _md_html(selftext) if selftext else None,
                "author": author or "[deleted]",
                "author_fullname": user["fullname"] if user else None,
                "subreddit": sub, "subreddit_id": f"t5_{base36(abs(hash(sub.lower())) % 10**8)}",
                "subreddit_name_prefixed": f"r/{sub}", "subreddit_type": "public",
                "created_utc": created, "created": created, "permalink": permalink,
                "url": f"https://www.reddit.com{permalink}", "domain": f"self.{sub}",
                "score": score, "ups": score, "downs": 0, "upvote_ratio": 1.0,
                "num_comments": 0, "num_crossposts": 0, "is_self": True, "is_video": False,
                "over_18": False, "spoiler": False, "locked": False, "archived": False,
                "stickied": False, "pinned": False, "hidden": False, "saved": False,
                "clicked": False, "visited": False, "likes": None, "edited": False,
                "distinguished": None, "removed_by_category": None, "link_flair_text": None,
                "author_flair_text": None, "thumbnail": "self", "gilded": 0,
                "total_awards_received": 0, "send_replies": True, "media": None,
            }
            data.update(extra)
            return self._store("t3", data, visible_at)

    def add_comment(
        self, parent: str, body: str, author: str | None = "bob",
        *, created_utc: float | None = None, visible_at: float | None = None,
        score: int = 1, karma: int = 100, **extra: Any,
    ) -> dict[str, Any]:
        """A comment under ``parent`` (a t3_ or t1_ fullname)."""
        with self._lock:
            parent_data = self._things[parent]["data"]
            link_id = parent if parent.startswith("t3_") else parent_data["link_id"]
            link = self._things[link_id]["data"]
            cid = self._new_id("t1")
            user = self.add_user(author, karma) if author else None
            created = self.now() if created_utc is None else created_utc
            data = {
                "id": cid, "name": f"t1_{cid}", "body": body, "body_html": _md_html(body),
                "author": author or "[deleted]",
                "author_fullname": user["fullname"] if user else None,
                "link_id": link_id, "parent_id": parent, "subreddit": link["subreddit"],
                "subreddit_id": link["subreddit_id"],
                "subreddit_name_prefixed": link["subreddit_name_prefixed"],
                "subreddit_type": "public", "link_title": link["title"],
                "link_author": link["author"], "link_permalink": link["url"],
                "link_url": link["url"], "num_comments": link["num_comments"] + 1,
                "created_utc": created, "created": created,
                "permalink": f"{link['permalink']}{cid}/", "score": score, "ups": score,
                "downs": 0, "replies": "", "edited": False, "distinguished": None,
                "stickied": False, "is_submitter": (author or "") == link["author"],
                "locked": False, "archived": False, "saved": False, "likes": None,
                "gilded": 0, "controversiality": 0, "collapsed": False,
                "score_hidden": False, "author_flair_text": None, "total_awards_received": 0,
                "send_replies": True, "depth": 0 if parent.startswith("t3_") else 1,
            }
            data.update(extra)
            link["num_comments"] += 1
            return self._store("t1", data, visible_at)

    def remove(self, fullname: str, how: Literal["removed", "deleted"] = "removed") -> None:
        """Moderator removal keeps the author; deletion by the author loses it too."""
        with self._lock:
            data = self._things[fullname]["data"]
            text_key = "body" if fullname.startswith("t1_") else "selftext"
            data[text_key] = f"[{how}]"
            if how == "deleted":
                data["author"], data["author_fullname"] = "[deleted]", None
            if fullname.startswith("t3_"):
                data["removed_by_category"] = "moderator" if how == "removed" else "deleted"

    def lock(self, fullname: str, locked: bool = True) -> None:
        """Lock a thread or comment: replies to it are refused (THREAD_LOCKED)."""
        with self._lock:
            self._things[fullname]["data"]["locked"] = locked

    def purge(self, fullname: str) -> None:
        """Make an item vanish, as if it never existed (404, DELETED_COMMENT)."""
        with self._lock:
            self._things.pop(fullname, None)

    def thing(self, fullname: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._things[fullname]["data"])

    def comments_by(self, author: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(t["data"]) for t in self._things.values()
                    if t["kind"] == "t1" and t["data"]["author"].lower() == author.lower()]

    def feed_samples(
        self, path: str | Path, *, start_utc: float | None = None, speed: float = 1.0,
        timed: bool = False,
    ) -> int:
        """Load the platform "reddit" lines of a sample JSONL file.

        ``timed`` releases each line at ``start + offset_s / speed`` (the demo); else all
        are visible at once, created at ``start + offset_s``. Returns lines loaded.
        """
        start = self.now() if start_utc is None else start_utc
        rows = []
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                log.warning("sample line %d is not JSON; skipped", number)
                continue
            if row.get("platform") == "reddit":
                rows.append(row)
        rows.sort(key=lambda r: float(r.get("offset_s", 0)))
        ids: dict[str, str] = {}
        for row in rows:
            offset = float(row.get("offset_s", 0)) / (speed if timed else 1.0)
            at = start + offset
            author = row.get("author") or {}
            handle = str(author.get("handle") or "").lstrip("@").removeprefix("u/") or None
            karma = int(author.get("followers") or 0)
            eng = row.get("engagement") or {}
            score = int(eng.get("score", eng.get("likes", eng.get("like_count", 1))) or 1)
            sub = str(row.get("subreddit") or "mentiondesk_demo").removeprefix("r/")
            text = str(row.get("text", ""))
            visible = at if timed else None
            with self._lock:
                if row.get("kind") in ("post", "submission"):
                    title = str(row.get("title") or text[:80] or "untitled")
                    body = text if row.get("title") else ""
                    data = self.add_submission(sub, title, body, handle, created_utc=at,
                                               visible_at=visible, score=score, karma=karma)
                else:
                    parent = ids.get(str(row.get("in_reply_to_id") or "")) or ids.get(
                        str(row.get("conversation_id") or ""))
                    if parent is None:
                        thread = self.add_submission(
                            sub, str(row.get("title") or f"Discussion in r/{sub}"),
                            author="automoderator", created_utc=at - 60, visible_at=visible)
                        parent = thread["name"]
                        if row.get("conversation_id"):
                            ids.setdefault(str(row["conversation_id"]), parent)
                    data = self.add_comment(parent, text, handle, created_utc=at,
                                            visible_at=visible, score=score, karma=karma)
            ids[str(row.get("id"))] = data["name"]
        return len(rows)

    # --- faults ------------------------------------------------------------------
    def fail_next(
        self, status: int | Literal["malformed"], count: int = 1, *, path: str = "",
        method: str = "", body: Any = None, headers: dict[str, str] | None = None,
        commit: bool = False,
    ) -> None:
        """Answer the next ``count`` matching API requests with ``status``."""
        with self._lock:
            for _ in range(count):
                self._faults.append(Fault(status, path, method.upper(), body,
                                          dict(headers or {}), commit))

    def exhaust_budget(self, reset_seconds: int) -> None:
        """From now on answer with ``remaining 0`` until ``reset_seconds`` pass."""
        with self._lock:
            self._budget = (0, reset_seconds)

    def revoke_tokens(self) -> None:
        """Expire every issued token: the next API call gets a 401 and praw refreshes."""
        with self._lock:
            self._tokens.clear()

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.path == path)

    # --- request handling --------------------------------------------------------
    def _rate_headers(self) -> dict[str, str]:
        if self._budget is not None:
            remaining, reset = self._budget
            return {"x-ratelimit-used": str(self._used), "x-ratelimit-remaining": str(remaining),
                    "x-ratelimit-reset": str(reset)}
        if self.rate_headers == "none":
            return {}
        if self.rate_headers == "test":
            return {"x-ratelimit-used": "0", "x-ratelimit-remaining": "1000.0",
                    "x-ratelimit-reset": "0"}
        elapsed = self.now() - self._window_start
        if elapsed >= 600:
            self._window_start, self._used, elapsed = self.now(), 0, 0
        return {"x-ratelimit-used": str(self._used),
                "x-ratelimit-remaining": f"{max(0, 1000 - self._used):.1f}",
                "x-ratelimit-reset": str(int(600 - elapsed))}

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.path and not path.startswith(fault.path):
                continue
            if fault.method and fault.method != method:
                continue
            return self._faults.pop(i)
        return None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = "/" + "/".join(p for p in parts.path.split("/") if p)
        path = path.removesuffix(".json")
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        if body and "json" not in headers.get("content-type", ""):
            form = {k: v[-1] for k, v in
                    parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        with self._lock:
            status, out_headers, payload = self._dispatch(method, path, params, form, headers)
            safe_form = {k: ("***" if k == "password" else v) for k, v in form.items()}
            self.requests.append(Recorded(method, path, params, safe_form, status))
        if isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload).encode("utf-8")
            out_headers.setdefault("content-type", "application/json; charset=UTF-8")
        return status, out_headers, data

    def _dispatch(
        self, method: str, path: str, params: dict[str, str], form: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/api/v1/access_token" and method == "POST":
            return self._token(headers.get("authorization", ""), form)
        self._used += 1
        rate = self._rate_headers()
        fault = self._take_fault(method, path)
        if fault is not None and not fault.commit:
            return self._fault_answer(fault, rate)
        token = headers.get("authorization", "")
        token = token.split(" ", 1)[1] if token.lower().startswith("bearer ") else ""
        if token not in self._tokens:
            return 401, {"www-authenticate": 'Bearer realm="reddit", error="invalid_token"',
                         **rate}, {"message": "Unauthorized", "error": 401}
        user = self._tokens[token]
        status, payload = self._route(method, path, params, form, user)
        if fault is not None:  # commit: the work is done, the answer is lost
            return self._fault_answer(fault, rate)
        out = dict(rate)
        if status == 302:
            out["location"] = payload.pop("location")
        return status, out, payload

    def _fault_answer(self, fault: Fault, rate: dict[str, str]) -> tuple[int, dict, Any]:
        headers = dict(rate)
        if fault.status == 429:
            headers = {"retry-after": "30"}  # no x-ratelimit-*: prawcore must not sleep
        headers.update(fault.headers)
        if fault.status == "malformed":
            headers["content-type"] = "text/html"
            return 200, headers, fault.body or b"<html><body>upstream hiccup</body></html"
        body = fault.body if fault.body is not None else {
            "message": "Too Many Requests" if fault.status == 429 else "Server Error",
            "error": fault.status}
        if isinstance(body, str):
            body = body.encode("utf-8")
        return int(fault.status), headers, body

    def _token(self, authorization: str, form: dict[str, str]) -> tuple[int, dict, Any]:
        try:
            client_id, client_secret = base64.b64decode(
                authorization.split(" ", 1)[1]).decode("utf-8").split(":", 1)
        except (IndexError, ValueError):
            client_id = client_secret = ""
        creds = self.credentials
        if not client_id or (creds and (client_id, client_secret)
                             != (creds.client_id, creds.client_secret)):
            return 401, {"www-authenticate": 'Basic realm="reddit"'}, {
                "message": "Unauthorized", "error": 401}
        grant = form.get("grant_type", "")
        if grant == "password":
            username = form.get("username", "")
            if not username or (creds and (username.lower(), form.get("password"))
                                != (creds.username.lower(), creds.password)):
                return 200, {}, {"error": "invalid_grant"}
            user: str | None = self.add_user(username)["name"]
        elif grant == "client_credentials":
            user = None
        else:
            return 200, {}, {"error": "unsupported_grant_type"}
        token = "sbx-" + _secrets.token_hex(12)
        self._tokens[token] = user
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 86400,
                         "scope": "*"}

    def _route(
        self, method: str, path: str, params: dict[str, str], form: dict[str, str],
        user: str | None,
    ) -> tuple[int, Any]:
        seg = path.strip("/").split("/")
        if method == "GET":
            if path == "/api/v1/me":
                return self._me(user)
            if len(seg) == 3 and seg[0] == "r" and seg[2] in ("search", "comments", "new"):
                return self._subreddit_listing(seg[1], seg[2], params)
            if path == "/message/mentions":
                return self._mentions(user, params)
            if seg[0] == "comments" and len(seg) >= 2:
                focus = seg[3] if len(seg) >= 4 else None
                return self._comments_page(seg[1], focus, params)
            if path == "/api/info":
                names = [n for n in params.get("id", "").split(",") if n]
                return 200, self._listing([n for n in names if self._visible(n)], params)
            if path == "/api/user_data_by_account_ids":
                return self._user_data(params.get("ids", ""))
        if method == "POST" and path == "/api/comment":
            return self._reply(user, form)
        return 404, {"message": "Not Found", "error": 404}

    # --- endpoints -----------------------------------------------------------------
    def _visible(self, name: str) -> bool:
        thing = self._things.get(name)
        return thing is not None and (thing["visible_at"] is None
                                      or thing["visible_at"] <= self.now())

    def _newest_first(self, names: list[str]) -> list[str]:
        return sorted(names, key=lambda n: (self._things[n]["data"]["created_utc"],
                                            self._order[n]), reverse=True)

    def _page(self, names: list[str], params: dict[str, str]) -> tuple[list[str], str | None]:
        limit = max(1, min(PAGE_MAX, int(params.get("limit") or 25)))
        after = params.get("after")
        if after:
            names = names[names.index(after) + 1:] if after in names else []
        page = names[:limit]
        return page, page[-1] if len(names) > limit else None

    def _listing(self, names: list[str], params: dict[str, str],
                 shape: Callable[[str], dict] | None = None) -> dict[str, Any]:
        page, after = self._page(names, params)
        children = [shape(n) if shape else {"kind": self._things[n]["kind"],
                                            "data": dict(self._things[n]["data"])}
                    for n in page]
        return {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page),
                                            "modhash": None, "geo_filter": "",
                                            "children": children}}

    def _me(self, user: str | None) -> tuple[int, Any]:
        if user is None:
            return 403, {"message": "Forbidden", "error": 403}
        info = self._users[user.lower()]
        return 200, {"name": info["name"], "id": info["id"], "link_karma": info["link_karma"],
                     "comment_karma": info["comment_karma"], "created_utc": info["created_utc"],
                     "created": info["created_utc"], "has_verified_email": True,
                     "is_suspended": False, "is_mod": False, "is_gold": False,
                     "inbox_count": 0, "icon_img": "", "verified": True}

    def _subreddit_listing(self, spec: str, what: str, params: dict[str, str]) -> tuple[int, Any]:
        wanted = {s.lower() for s in spec.split("+")}
        if "all" not in wanted and not wanted & set(self._subreddits):
            if what == "search":
                return 302, {"location": f"/subreddits/search.json?q={spec}"}
            return 404, {"message": "Not Found", "error": 404}
        restrict = params.get("restrict_sr", "True").lower() in ("true", "1", "on")
        kind = "t1" if what == "comments" else "t3"
        names = []
        for name, thing in self._things.items():
            if thing["kind"] != kind or not self._visible(name):
                continue
            sub = thing["data"]["subreddit"].lower()
            if "all" not in wanted and restrict and sub not in wanted:
                continue
            if what == "search" and (
                    thing["data"]["created_utc"] > self.now() - self.search_lag_seconds
                    or not _search_match(params.get("q", ""),
                                         f"{thing['data']['title']}\n{thing['data']['selftext']}")):
                continue
            names.append(name)
        return 200, self._listing(self._newest_first(names), params)

    def _mentions(self, user: str | None, params: dict[str, str]) -> tuple[int, Any]:
        if user is None:
            return 403, {"message": "Forbidden", "error": 403}
        pattern = re.compile(rf"(?<![\w/])/?u/{re.escape(user)}(?![\w-])", re.IGNORECASE)
        names = [n for n, t in self._things.items()
                 if t["kind"] == "t1" and self._visible(n)
                 and t["data"]["author"].lower() != user.lower()
                 and pattern.search(t["data"]["body"])]

        def inbox_shape(name: str) -> dict[str, Any]:
            c = self._things[name]["data"]
            link = self._things[c["link_id"]]["data"]
            data = {k: c[k] for k in (
                "id", "name", "body", "body_html", "author", "author_fullname", "parent_id",
                "subreddit", "subreddit_name_prefixed", "created_utc", "created", "score",
                "likes", "distinguished")}
            data.update({
                "context": f"{c['permalink']}?context=3", "link_title": link["title"],
                "dest": user, "new": True, "type": "username_mention", "was_comment": True,
                "subject": "username mention", "num_comments": link["num_comments"],
                "first_message": None, "first_message_name": None, "replies": "",
            })
            return {"kind": "t1", "data": data}

        return 200, self._listing(self._newest_first(names), params, inbox_shape)

    def _tree(self, parent: str, sort: str, depth: int, limit: list[int]) -> list[dict]:
        kids = [n for n, t in self._things.items()
                if t["kind"] == "t1" and t["data"]["parent_id"] == parent and self._visible(n)]
        if sort == "old":
            kids.sort(key=lambda n: (self._things[n]["data"]["created_utc"], self._order[n]))
        elif sort == "new":
            kids = self._newest_first(kids)
        else:
            kids.sort(key=lambda n: (-self._things[n]["data"]["score"], self._order[n]))
        out = []
        for name in kids:
            if limit[0] <= 0:
                break
            limit[0] -= 1
            data = dict(self._things[name]["data"])
            sub = self._tree(name, sort, depth - 1, limit) if depth > 1 else []
            data["replies"] = {"kind": "Listing", "data": {
                "after": None, "before": None, "dist": None, "modhash": None,
                "geo_filter": "", "children": sub}} if sub else ""
            out.append({"kind": "t1", "data": data})
        return out

    def _comments_page(
        self, sid: str, focus: str | None, params: dict[str, str]
    ) -> tuple[int, Any]:
        link = f"t3_{sid}"
        if not self._visible(link):
            return 404, {"message": "Not Found", "error": 404}
        sort = params.get("sort", "confidence")
        depth = int(params.get("depth") or 10)
        limit = [int(params.get("limit") or 200)]
        if focus and f"t1_{focus}" in self._things and self._visible(f"t1_{focus}"):
            data = dict(self._things[f"t1_{focus}"]["data"])
            sub = self._tree(data["name"], sort, depth, limit)
            data["replies"] = {"kind": "Listing", "data": {
                "after": None, "before": None, "dist": None, "modhash": None,
                "geo_filter": "", "children": sub}} if sub else ""
            children = [{"kind": "t1", "data": data}]
        elif focus:
            return 404, {"message": "Not Found", "error": 404}
        else:
            children = self._tree(link, sort, depth, limit)
        first = {"kind": "Listing", "data": {
            "after": None, "before": None, "dist": 1, "modhash": None, "geo_filter": "",
            "children": [{"kind": "t3", "data": dict(self._things[link]["data"])}]}}
        second = {"kind": "Listing", "data": {
            "after": None, "before": None, "dist": None, "modhash": None, "geo_filter": "",
            "children": children}}
        return 200, [first, second]

    def _user_data(self, ids: str) -> tuple[int, Any]:
        wanted = {i for i in ids.split(",") if i}
        found = {u["fullname"]: {"name": u["name"], "created_utc": u["created_utc"],
                                 "link_karma": u["link_karma"],
                                 "comment_karma": u["comment_karma"], "profile_img": "",
                                 "profile_color": "", "profile_over_18": False}
                 for u in self._users.values() if u["fullname"] in wanted}
        if not found:
            return 404, {"message": "Not Found", "error": 404}
        return 200, found

    def _reply(self, user: str | None, form: dict[str, str]) -> tuple[int, Any]:
        if user is None:
            return 403, {"message": "Forbidden", "error": 403}
        thing_id, text = form.get("thing_id", ""), form.get("text", "")

        def error(kind: str, message: str, field_name: str) -> tuple[int, Any]:
            return 200, {"json": {"errors": [[kind, message, field_name]]}}

        if not text.strip():
            return error("NO_TEXT", "we need something here", "text")
        if len(text) > MAX_BODY:
            return error("TOO_LONG", f"this is too long (max: {MAX_BODY})", "text")
        target = self._things.get(thing_id)
        deleted = target is not None and "[deleted]" in (
            target["data"].get("body"), target["data"].get("selftext"))
        if target is None or not self._visible(thing_id) or deleted:
            kind = "DELETED_LINK" if thing_id.startswith("t3_") else "DELETED_COMMENT"
            return error(kind, "that item has been deleted", "parent")
        link = self._things[target["data"].get("link_id", thing_id)]["data"]
        if link.get("locked") or target["data"].get("locked"):
            return error("THREAD_LOCKED", "Comments are locked.", "parent")
        if link.get("archived"):
            return error("TOO_OLD", "that's a piece of history now", "parent")
        data = self.add_comment(thing_id, text, user)
        return 200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": data}]}}}


def _md_html(text: str) -> str:
    return f'<div class="md"><p>{html.escape(text)}</p>\n</div>'


def _search_match(query: str, text: str) -> bool:
    """Reddit-ish search: quoted phrases and words, OR between them, NOT/-term excludes."""
    haystack = text.lower()
    tokens = re.findall(r'(-?)"([^"]+)"|(-?)(\S+)', query)
    wanted, unwanted, negate = [], [], False
    for minus_q, phrase, minus_w, word in tokens:
        term = phrase or word
        if not phrase and term.upper() in ("OR", "AND"):
            continue
        if not phrase and term.upper() == "NOT":
            negate = True
            continue
        term = term.strip("()").lower()
        if not term:
            continue
        (unwanted if negate or minus_q or minus_w else wanted).append(term)
        negate = False
    if any(t in haystack for t in unwanted):
        return False
    return not wanted or any(t in haystack for t in wanted)


def start(
    host: str = "127.0.0.1", port: int = 8791, sample_path: str | Path | None = None,
    *, speed: float = 1.0, credentials: SandboxCredentials | None = None,
) -> RedditSandbox:
    """Start the sandbox in a daemon thread and return it (``.url``, ``.stop()``).

    Sample lines (platform "reddit") are released at their ``offset_s`` divided by
    ``speed``; rate-limit headers are realistic; any credentials are accepted unless
    ``credentials`` is given, and the username that logs in is the brand account.
    """
    sandbox = RedditSandbox(credentials=credentials, rate_headers="real", host=host, port=port)
    sandbox.start()
    if sample_path is not None:
        loaded = sandbox.feed_samples(sample_path, speed=speed, timed=True)
        log.info("reddit sandbox: %d sample items, released over time at speed %.1f",
                 loaded, speed)
    return sandbox


def serve(
    host: str = "127.0.0.1", port: int = 8791, sample_path: str | Path | None = None,
    *, speed: float = 1.0, credentials: SandboxCredentials | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[RedditSandbox], None] | None = None,
) -> None:
    """Run the sandbox in the foreground until ``stop`` is set or Ctrl-C (``main.py sandbox``).

    Point a Reddit source at it with ``oauth_url`` and ``reddit_url`` both set to
    ``http://HOST:PORT``, and any MENTIONDESK_REDDIT_* values (the username becomes the
    brand account, e.g. ``lumora_official`` for the Lumora samples).
    """
    sandbox = start(host, port, sample_path, speed=speed, credentials=credentials)
    if on_ready:
        on_ready(sandbox)
    run_until_stopped(sandbox, stop)
