"""A local server that speaks the X API v2 subset mentiondesk uses.

The real tweepy client talks to it (through ``listener.x.client``'s base URL) in
tests, in the benchmark, in ``main.py sandbox`` and in the default demo, so the
listener and publisher run end to end without posting in public. Shapes follow
``shared/api/README.md``: recent search and the mentions timeline with ``since_id``,
``max_results``, ``next_token``, ``includes.users`` and ``meta``; ``POST /2/tweets``
(created posts show up in later searches); ``GET /2/users/me``; rate-limit headers
on every answer. Switches inject 429s, 5xx, slow answers, malformed bodies and the
403 refusals X gives to replies that do not mention the brand and to duplicates.

It behaves like X in 2026 where that matters for exactly-once posting and for cost:
recent search does not show posts younger than ``search_lag_seconds`` (30 s) unless the
request has an ``end_time``; a fault can hit *after* the post was made (``commit=True``:
the post exists but the answer is a 503 or never comes); replies are refused with 403
unless the post answered summoned the brand (@mention, quote of a brand post, or a
reply in the brand's own thread); deleted posts disappear from every read and lookups
report them as not found. The brand's own timeline (``GET /2/users/:id/tweets``) and
lookups by id show new posts at once.

It imports nothing from ``listener/`` or ``responder/``: its query matching and its
length rule are its own, so a misunderstanding of the API in the client cannot be
repeated here and pass unnoticed.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from core.clock import Clock, SystemClock
from sandbox import run_until_stopped
from sandbox.server import Answer, AppServer, Incoming, Served

log = logging.getLogger(__name__)

TWEPOCH_MS = 1288834974657  # X's snowflake epoch
WINDOW_SECONDS = 900
SEARCH_WINDOW = timedelta(days=7)
DEFAULT_LIMITS = {"search": 450, "mentions": 450, "users": 300, "me": 75, "post": 100,
                  "timeline": 900, "lookup": 900}
POST_LIMIT = 280
SEARCH_LAG_SECONDS = 30.0


# --- X's own text rules (written here from X's documentation, not shared with the client) --

_WORDISH = re.compile(r"[a-z0-9_]")
_LINK = re.compile(r"https?://[^\s]+", re.IGNORECASE)
_EMOJI = re.compile("(?:[\U0001F000-\U0001FAFF\u2600-\u27BF][\uFE0F\U0001F3FB-\U0001F3FF]?"
                    "(?:\u200D[\U0001F000-\U0001FAFF\u2600-\u27BF][\uFE0F]?)*)")


def has_term(text: str, term: str) -> bool:
    """X's keyword match: case-insensitive, the term not glued to ASCII letters or digits
    on either side (so "lumorafan" is not "lumora", but "Lumoraの" is)."""
    hay, needle = unicodedata.normalize("NFKC", text).casefold(), term.casefold()
    start = hay.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = hay[start - 1] if start else " "
        after = hay[end] if end < len(hay) else " "
        if not _WORDISH.match(before) and not _WORDISH.match(after):
            return True
        start = hay.find(needle, start + 1)
    return False


def weighted_length(text: str) -> int:
    """A post's length as X counts it: each URL 23, each emoji (with its modifiers) 2,
    code points below U+1100 and general punctuation 1, everything else 2."""
    text = _LINK.sub("x" * 23, unicodedata.normalize("NFC", text))
    text = _EMOJI.sub("\U00020000", text)  # any weight-2 stand-in
    return sum(1 if ord(c) < 0x1100 or 0x2000 <= ord(c) <= 0x200D
               or 0x2010 <= ord(c) <= 0x201F or 0x2032 <= ord(c) <= 0x2037 else 2
               for c in text)


def snowflake(moment: datetime, seq: int = 0) -> int:
    """A tweet id as X makes them: milliseconds since X's epoch, shifted by 22 bits."""
    ms = int(moment.timestamp() * 1000) - TWEPOCH_MS
    return (ms << 22) | (seq & 0x3FFFFF)


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# --- query matching -------------------------------------------------------------

class QueryError(ValueError):
    """The query is not one X would accept (answered with 400)."""


_TOKEN = re.compile(r'\s*(?:(\()|(\))|("[^"]*")|(-)(?=[^\s)])|([^\s()"]+))')
Pred = Callable[[dict[str, Any], "XSandbox"], bool]


def _tokens(query: str) -> list[str]:
    out, pos = [], 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if not match or match.end() == pos:
            raise QueryError(f"cannot parse the query near {query[pos:pos + 20]!r}")
        out.append(next(g for g in match.groups() if g is not None))
        pos = match.end()
        while pos < len(query) and query[pos].isspace():
            pos += 1
    return out


def compile_query(query: str) -> Pred:
    """Parse X's query syntax (implicit AND binds tighter than OR) into a predicate."""
    tokens = _tokens(query)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def expr() -> Pred:
        parts = [conj()]
        while peek() == "OR":
            take()
            parts.append(conj())
        return parts[0] if len(parts) == 1 else (lambda t, s: any(p(t, s) for p in parts))

    def conj() -> Pred:
        parts = []
        while peek() not in (None, ")", "OR"):
            parts.append(unary())
        if not parts:
            raise QueryError("empty group or dangling OR in the query")
        return parts[0] if len(parts) == 1 else (lambda t, s: all(p(t, s) for p in parts))

    def unary() -> Pred:
        if peek() == "-":
            take()
            inner = primary()
            return lambda t, s: not inner(t, s)
        return primary()

    def primary() -> Pred:
        token = take()
        if token == "(":
            inner = expr()
            if peek() != ")":
                raise QueryError("unbalanced parentheses in the query")
            take()
            return inner
        if token == ")":
            raise QueryError("unbalanced parentheses in the query")
        return _term(token)

    pred = expr()
    if pos != len(tokens):
        raise QueryError("unbalanced parentheses in the query")
    return pred


_HASHTAG = re.compile(r"#\w+")


def _term(token: str) -> Pred:
    if token.startswith('"'):
        phrase = token.strip('"')
        return lambda t, s: has_term(t["text"], phrase)
    if ":" in token and not token.startswith(("@", "#", "$", "http")):
        name, value = token.split(":", 1)
        return _operator(name.lower(), value)
    if token.startswith("#"):
        return lambda t, s: has_term(t["text"], token)
    # A bare keyword does not match the hashtag of the same word (that takes "#word").
    return lambda t, s: has_term(_HASHTAG.sub(" ", t["text"]), token)


def _operator(name: str, value: str) -> Pred:
    low = value.lower().lstrip("@")
    if name == "is":
        kinds = {"retweet": "retweeted", "quote": "quoted", "reply": "replied_to"}
        if low == "verified":
            return lambda t, s: bool(s.users[t["author_id"]].get("verified"))
        if low not in kinds:
            raise QueryError(f"Reference to invalid operator 'is:{value}'")
        kind = kinds[low]
        return lambda t, s: any(r["type"] == kind for r in t.get("referenced_tweets", []))
    if name == "lang":
        return lambda t, s: t.get("lang", "").lower() == low
    if name == "from":
        return lambda t, s: s.users[t["author_id"]]["username"].lower() == low
    if name == "to":
        return lambda t, s: (
            t.get("in_reply_to_user_id") is not None
            and s.users[t["in_reply_to_user_id"]]["username"].lower() == low
        )
    if name == "conversation_id":
        return lambda t, s: t.get("conversation_id") == value
    raise QueryError(f"Reference to invalid operator '{name}'")


# --- faults -----------------------------------------------------------------------

@dataclass
class Fault:
    kind: str  # "status", "malformed", "slow"
    times: int
    path: str | None = None  # only requests whose path starts with this
    status: int = 0
    reset_in: float = 60.0
    skip: int = 0  # let this many matching requests through first
    seconds: float = 0.0
    commit: bool = False  # do the work first, then fail the answer (or answer late)


@dataclass
class RequestRecord:
    method: str
    path: str
    params: dict[str, str]
    status: int
    auth: str = field(default="")  # "bearer" or "oauth1"


# --- the sandbox ------------------------------------------------------------------

class XSandbox(Served):
    """State and HTTP server of the fake X API; thread-safe, clock injectable."""

    server_name = "x-sandbox"

    def __init__(
        self,
        *,
        brand_handle: str = "lumora",
        brand_name: str = "",
        clock: Clock | None = None,
        rate_limits: dict[str, int] | None = None,
        query_max_length: int = 512,
    ) -> None:
        self.clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.users: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, str] = {}  # lower-case username -> id
        self.tweets: dict[int, dict[str, Any]] = {}
        self._ids: list[int] = []  # sorted ascending
        self._seq = 0
        self._sample_ids: dict[str, str] = {}
        self.rate_limits = {**DEFAULT_LIMITS, **(rate_limits or {})}
        self._windows: dict[str, tuple[float, int]] = {}
        self.query_max_length = query_max_length
        self.faults: list[Fault] = []
        self.latency = 0.0  # seconds added to every answer
        self.search_lag_seconds = SEARCH_LAG_SECONDS  # search without end_time lags this much
        self.refuse_unmentioned_replies = True  # X's self-serve rule since 2026-02-23
        self.refuse_duplicates = True
        self.deleted: set[int] = set()
        self.expected_bearer: str | None = None  # None: any bearer token is accepted
        self.suspended: set[str] = set()  # user ids X cannot expand (partial errors)
        self.requests: list[RequestRecord] = []
        self._queries: dict[str, Pred] = {}
        self.brand = self.add_user(brand_handle, brand_name or brand_handle.title(),
                                   followers=5000, verified=True)
        self._server: AppServer | None = None

    # -- data --

    def add_user(self, username: str, name: str = "", *, user_id: str | None = None,
                 followers: int = 0, verified: bool = False) -> str:
        with self.lock:
            uid = user_id or self._user_id(username)
            self.users[uid] = {
                "id": uid, "name": name or username, "username": username,
                "verified": verified,
                "public_metrics": {"followers_count": followers, "following_count": 0,
                                   "tweet_count": 0, "listed_count": 0},
            }
            self._by_name[username.lower()] = uid
            return uid

    def user_by_name(self, username: str) -> dict[str, Any] | None:
        uid = self._by_name.get(username.lower().lstrip("@"))
        return self.users[uid] if uid else None

    @staticmethod
    def _user_id(username: str) -> str:
        digest = hashlib.sha1(username.lower().encode()).hexdigest()
        return str(10**15 + int(digest[:12], 16) % (9 * 10**15))

    def _next_id(self, created_at: datetime) -> int:
        self._seq += 1
        return snowflake(created_at, self._seq)

    def add_tweet(
        self,
        text: str,
        author: str,
        *,
        created_at: datetime | None = None,
        in_reply_to: int | str | None = None,
        quotes: int | str | None = None,
        kind: str = "post",
        lang: str = "en",
        metrics: dict[str, int] | None = None,
        tweet_id: int | None = None,
    ) -> str:
        """Add a post by ``author`` (a username, created if new); returns its id."""
        with self.lock:
            user = self.user_by_name(author)
            uid = user["id"] if user else self.add_user(author)
            created = created_at or self.clock.now()
            tid = tweet_id or self._next_id(created)
            tweet: dict[str, Any] = {
                "id": str(tid), "text": text, "edit_history_tweet_ids": [str(tid)],
                "author_id": uid, "created_at": _iso(created), "lang": lang,
                "conversation_id": str(tid),
                "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0,
                                   "quote_count": 0, "bookmark_count": 0,
                                   "impression_count": 0, **(metrics or {})},
                "_created": created,
            }
            parent = self.tweets.get(int(in_reply_to)) if in_reply_to else None
            if kind == "repost":
                target = str(in_reply_to) if in_reply_to else str(tid - 1)
                tweet["referenced_tweets"] = [{"type": "retweeted", "id": target}]
            elif in_reply_to:
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": str(in_reply_to)}]
                if parent:
                    tweet["in_reply_to_user_id"] = parent["author_id"]
                    tweet["conversation_id"] = parent["conversation_id"]
            if quotes:
                tweet.setdefault("referenced_tweets", []).append(
                    {"type": "quoted", "id": str(quotes)})
            self.tweets[tid] = tweet
            bisect.insort(self._ids, tid)
            return str(tid)

    def load_samples(self, path: Path | str, *, speed: float = 1.0,
                     start: datetime | None = None, backdate: bool = False) -> int:
        """Feed the platform "x" lines of a samples JSONL file.

        Posts appear at ``start + offset_s / speed`` (a live trickle); with
        ``backdate`` they all lie in the past, the newest one second ago.
        """
        lines = []
        for raw in Path(path).read_text(encoding="utf-8").splitlines():
            if raw.strip():
                item = json.loads(raw)
                if item.get("platform") == "x":
                    lines.append(item)
        lines.sort(key=lambda item: float(item.get("offset_s", 0)))
        now = self.clock.now()
        base = start or now
        if backdate and lines:
            newest = float(lines[-1].get("offset_s", 0))
            base = now - timedelta(seconds=newest / speed + 1)
        with self.lock:
            for item in lines:
                created = base + timedelta(seconds=float(item.get("offset_s", 0)) / speed)
                self._sample_ids[item["id"]] = str(self._next_id(created))
            for item in lines:
                self._add_sample(item, base, speed)
        return len(lines)

    def _add_sample(self, item: dict[str, Any], base: datetime, speed: float) -> None:
        author = item.get("author") or {}
        handle = str(author.get("handle") or "someone").lstrip("@")
        if not self.user_by_name(handle):
            raw_id = str(author.get("id", ""))
            self.add_user(handle, str(author.get("name") or handle),
                          user_id=raw_id if raw_id.isdigit() and len(raw_id) <= 19 else None,
                          followers=int(author.get("followers") or 0),
                          verified=bool(author.get("verified")))
        ref = item.get("in_reply_to_id")
        ref_id = self._sample_ids.get(ref) if ref else None
        created = base + timedelta(seconds=float(item.get("offset_s", 0)) / speed)
        text = str(item.get("text", ""))
        kind = item.get("kind", "post")
        tid = self.add_tweet(text, handle, created_at=created, in_reply_to=ref_id, kind=kind,
                             lang=str(item.get("lang") or "en"),
                             metrics=_metrics(item.get("engagement") or {}),
                             tweet_id=int(self._sample_ids[item["id"]]))
        conv = item.get("conversation_id")
        if conv and conv in self._sample_ids:
            self.tweets[int(tid)]["conversation_id"] = self._sample_ids[conv]

    def sample_id(self, sample_id: str) -> str:
        """The tweet id a sample line's ``id`` was given."""
        return self._sample_ids[sample_id]

    def posts_by(self, username: str) -> list[dict[str, Any]]:
        user = self.user_by_name(username)
        return [t for t in self.tweets.values() if user and t["author_id"] == user["id"]
                and int(t["id"]) not in self.deleted]

    def delete(self, tweet_id: int | str) -> None:
        """The author deleted the post: gone from every read, lookups say not found."""
        with self.lock:
            self.deleted.add(int(tweet_id))

    # -- faults --

    def fail_next(self, status: int, times: int = 1, *, path: str | None = None,
                  reset_in: float = 60.0, skip: int = 0, commit: bool = False) -> None:
        """The next ``times`` matching requests (after ``skip``) answer ``status``;
        with ``commit`` the request's work is done first (a 503 after the post was made)."""
        with self.lock:
            self.faults.append(Fault("status", times, path, status=status, reset_in=reset_in,
                                     skip=skip, commit=commit))

    def malformed_next(self, times: int = 1, *, path: str | None = None,
                       skip: int = 0) -> None:
        with self.lock:
            self.faults.append(Fault("malformed", times, path, skip=skip))

    def slow_next(self, seconds: float, times: int = 1, *, path: str | None = None,
                  commit: bool = False) -> None:
        """Answer ``seconds`` late; with ``commit`` after doing the work (a client that
        times out never learns that its post was made)."""
        with self.lock:
            self.faults.append(Fault("slow", times, path, seconds=seconds, commit=commit))

    def _take_faults(self, path: str) -> list[Fault]:
        taken = []
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and (fault.path is None or path.startswith(fault.path)):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    taken.append(fault)
            self.faults = [f for f in self.faults if f.times > 0]
        return taken

    def count(self, path_prefix: str = "", method: str | None = None) -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix)
                   and (method is None or r.method == method))

    # -- rate limits --

    def _rate(self, bucket: str) -> tuple[bool, dict[str, str]]:
        now = self.clock.now().timestamp()
        limit = self.rate_limits[bucket]
        with self.lock:
            start, used = self._windows.get(bucket, (now, 0))
            if now >= start + WINDOW_SECONDS:
                start, used = now, 0
            allowed = used < limit
            if allowed:
                used += 1
            self._windows[bucket] = (start, used)
        headers = {"x-rate-limit-limit": str(limit),
                   "x-rate-limit-remaining": str(max(limit - used, 0)),
                   "x-rate-limit-reset": str(int(start + WINDOW_SECONDS))}
        return allowed, headers

    # -- endpoints --

    def handle(self, method: str, path: str, params: dict[str, str], body: bytes,
               auth: str) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        """Answer one request: (status, JSON object or raw bytes, extra headers)."""
        bucket, route = self._route(method, path)
        if route is None:
            return 404, _problem(404, "Not Found"), {}
        kind = "oauth1" if auth.startswith("OAuth ") else "bearer"
        if not auth:
            return 401, _problem(401, "Unauthorized"), {}
        if kind == "bearer" and self.expected_bearer is not None and \
                auth != f"Bearer {self.expected_bearer}":
            return 401, _problem(401, "Unauthorized"), {}
        allowed, headers = self._rate(bucket)
        faults = self._take_faults(path)
        if any(f.commit for f in faults):  # the work happens, the answer goes wrong
            route(params, body, kind)
        for fault in faults:
            if fault.kind == "slow":
                time.sleep(fault.seconds)
                if fault.commit:
                    return 503, _problem(503, "Service Unavailable"), headers
            elif fault.kind == "malformed":
                return 200, b'{"data": [{"id": "12", "text": "cut off', headers
            elif fault.status == 429:
                reset = int(self.clock.now().timestamp() + fault.reset_in)
                return 429, _TOO_MANY, {**headers, "x-rate-limit-remaining": "0",
                                        "x-rate-limit-reset": str(reset)}
            else:
                return fault.status, _problem(fault.status, _REASONS.get(fault.status, "Error")), \
                    headers
        if not allowed:
            return 429, _TOO_MANY, {**headers, "x-rate-limit-remaining": "0"}
        status, payload = route(params, body, kind)
        return status, payload, headers

    def _route(self, method: str, path: str) -> tuple[str, Callable[..., Any] | None]:
        path = path.rstrip("/")
        if method == "GET" and path == "/2/tweets/search/recent":
            return "search", self._search
        if method == "POST" and path == "/2/tweets":
            return "post", self._create
        if method == "GET" and path == "/2/tweets":
            return "lookup", lambda p, b, k: self._lookup(p)
        if method == "GET" and path == "/2/users/me":
            return "me", self._me
        match = re.fullmatch(r"/2/users/(\d+)/mentions", path)
        if method == "GET" and match:
            uid = match.group(1)
            return "mentions", lambda p, b, k: self._mentions(uid, p)
        match = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        if method == "GET" and match:
            author = match.group(1)
            return "timeline", lambda p, b, k: self._timeline(
                p, lambda t, s: t["author_id"] == author, "pagination_token", 5)
        match = re.fullmatch(r"/2/users/by/username/(\w+)", path)
        if method == "GET" and match:
            name = match.group(1)
            return "users", lambda p, b, k: self._user_by_username(name, p)
        return "", None

    def _search(self, params: dict[str, str], body: bytes, kind: str) -> tuple[int, Any]:
        query = params.get("query", "")
        if not query:
            return 400, _bad("The `query` query parameter can not be empty")
        if len(query) > self.query_max_length:
            return 400, _bad(f"The `query` param length must be <= {self.query_max_length}")
        try:
            with self.lock:
                pred = self._queries.get(query) or compile_query(query)
                self._queries[query] = pred
        except QueryError as exc:
            return 400, _bad(f"There were errors processing your request: {exc}")
        # Recent search holds back the newest posts unless asked up to an explicit end_time.
        lag = 0.0 if "end_time" in params else self.search_lag_seconds
        return self._timeline(params, pred, "next_token", 10, lag)

    def _mentions(self, uid: str, params: dict[str, str]) -> tuple[int, Any]:
        user = self.users.get(uid)
        if not user:
            return 400, _bad(f"The `id` query parameter value [{uid}] does not exist")
        term = "@" + user["username"]
        return self._timeline(params, lambda t, s: has_term(t["text"], term),
                              "pagination_token", 5)

    def _timeline(self, params: dict[str, str], pred: Pred, token_name: str,
                  min_results: int, lag: float = 0.0) -> tuple[int, Any]:
        now = self.clock.now()
        try:
            size = int(params.get("max_results", "10"))
        except ValueError:
            return 400, _bad("The `max_results` query parameter value is not a number")
        if not min_results <= size <= 100:
            return 400, _bad(f"The `max_results` query parameter value [{size}] is not "
                             f"between {min_results} and 100")
        oldest_allowed = now - SEARCH_WINDOW
        low, high = snowflake(oldest_allowed), snowflake(now, 0x3FFFFF)
        if "since_id" in params:
            since = int(params["since_id"])
            if since < low:
                return 400, _bad(f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet "
                                 f"id created after {_iso(oldest_allowed)}.")
            low = max(low, since + 1)
        if "until_id" in params:
            high = min(high, int(params["until_id"]) - 1)
        if "start_time" in params:
            low = max(low, snowflake(_parse_time(params["start_time"])))
        if "end_time" in params:
            high = min(high, snowflake(_parse_time(params["end_time"])) - 1)
        token = params.get(token_name)
        if token:
            try:
                high = min(high, int(token, 16) - 1)
            except ValueError:
                return 400, _bad(f"The `{token_name}` query parameter value is invalid")
        page: list[dict[str, Any]] = []
        more = False
        with self.lock:
            for tid in self._descending(low, high):
                tweet = self.tweets[tid]
                if tweet["_created"] > now - timedelta(seconds=lag) or tid in self.deleted \
                        or not pred(tweet, self):
                    continue
                if len(page) == size:
                    more = True
                    break
                page.append(tweet)
            if not page:
                return 200, {"meta": {"result_count": 0}}
            answer = self._render(page, params)
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"],
                                "result_count": len(page)}
        if more:
            meta["next_token"] = f"{int(page[-1]['id']):x}"
        answer["meta"] = meta
        return 200, answer

    def _descending(self, low: int, high: int) -> Iterator[int]:
        i = bisect.bisect_right(self._ids, high) - 1
        while i >= 0 and self._ids[i] >= low:
            yield self._ids[i]
            i -= 1

    def _render(self, tweets: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        fields = set(filter(None, params.get("tweet.fields", "").split(",")))
        expansions = set(filter(None, params.get("expansions", "").split(",")))
        def shape(tweet: dict[str, Any]) -> dict[str, Any]:
            out = {k: tweet[k] for k in ("id", "text", "edit_history_tweet_ids")}
            out.update({k: tweet[k] for k in fields if k in tweet})
            return out

        data = [shape(t) for t in tweets]
        user_ids: list[str] = []
        referenced: list[dict[str, Any]] = []
        for tweet in tweets:
            for name in ("author_id", "in_reply_to_user_id"):
                uid = tweet.get(name)
                if name in expansions and uid and uid not in user_ids:
                    user_ids.append(uid)
            if "referenced_tweets.id" in expansions:
                for ref in tweet.get("referenced_tweets", []):
                    other = self.tweets.get(int(ref["id"]))
                    if other and int(ref["id"]) not in self.deleted and other not in referenced:
                        referenced.append(other)
        for other in referenced:
            uid = other["author_id"]
            if "referenced_tweets.id.author_id" in expansions and uid not in user_ids:
                user_ids.append(uid)
        answer: dict[str, Any] = {"data": data}
        if referenced:
            answer["includes"] = {"tweets": [shape(t) for t in referenced]}
        users = [self._user(uid, params) for uid in user_ids if uid not in self.suspended]
        if users:
            answer.setdefault("includes", {})["users"] = users
        errors = [{"value": uid, "detail": f"User has been suspended: [{uid}].",
                   "title": "Forbidden", "resource_type": "user", "parameter": "author_id",
                   "resource_id": uid, "type": "https://api.twitter.com/2/problems/resource-not-found"}
                  for uid in user_ids if uid in self.suspended]
        if errors:
            answer["errors"] = errors  # a 200 with partial errors, as X sends them
        return answer

    def _user(self, uid: str, params: dict[str, str]) -> dict[str, Any]:
        user = self.users[uid]
        fields = set(filter(None, params.get("user.fields", "").split(",")))
        out = {k: user[k] for k in ("id", "name", "username")}
        out.update({k: user[k] for k in fields if k in user})
        return out

    def _lookup(self, params: dict[str, str]) -> tuple[int, Any]:
        """``GET /2/tweets?ids=``: the posts that still exist, errors for the others."""
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100 or not all(i.isdigit() for i in ids):
            return 400, _bad("The `ids` query parameter value is invalid")
        with self.lock:
            found = [self.tweets[int(i)] for i in ids
                     if int(i) in self.tweets and int(i) not in self.deleted]
            answer = self._render(found, params) if found else {}
        gone = [i for i in ids if int(i) not in self.tweets or int(i) in self.deleted]
        if gone:
            answer["errors"] = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].",
                                 "title": "Not Found Error", "resource_type": "tweet",
                                 "parameter": "ids", "resource_id": i,
                                 "type": "https://api.twitter.com/2/problems/resource-not-found"}
                                for i in gone]
        return 200, answer

    def summoned(self, parent: dict[str, Any]) -> bool:
        """Whether a reply by the brand to ``parent`` is allowed through the API: its
        author @mentioned the brand, quoted a brand post, or wrote in the brand's thread."""
        brand = self.users[self.brand]
        if parent["author_id"] == self.brand or parent.get("in_reply_to_user_id") == self.brand:
            return True
        if has_term(parent["text"], "@" + brand["username"]):
            return True
        quoted = [self.tweets.get(int(r["id"])) for r in parent.get("referenced_tweets", [])
                  if r["type"] == "quoted"]
        return any(q is not None and q["author_id"] == self.brand for q in quoted)

    def _me(self, params: dict[str, str], body: bytes, kind: str) -> tuple[int, Any]:
        if kind != "oauth1":
            return 403, _problem(403, "Unsupported Authentication", _APP_ONLY)
        return 200, {"data": self._user(self.brand, params)}

    def _user_by_username(self, name: str, params: dict[str, str]) -> tuple[int, Any]:
        user = self.user_by_name(name)
        if not user:
            return 200, {"errors": [{"value": name, "detail": f"Could not find user with "
                                     f"username: [{name}].", "title": "Not Found Error",
                                     "type": "https://api.twitter.com/2/problems/resource-not-found"}]}
        return 200, {"data": self._user(user["id"], params)}

    def _create(self, params: dict[str, str], body: bytes, kind: str) -> tuple[int, Any]:
        if kind != "oauth1":
            return 403, _problem(403, "Unsupported Authentication", _APP_ONLY)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return 400, _bad("Request body is not valid JSON")
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            return 400, _bad("Tweet text can not be empty")
        if weighted_length(text) > POST_LIMIT:
            return 403, _problem(403, "Forbidden", "Tweet text is too long.")
        reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        brand = self.users[self.brand]
        with self.lock:
            if self.refuse_duplicates and any(
                t["text"] == text and t["author_id"] == self.brand
                and int(t["id"]) not in self.deleted for t in self.tweets.values()
            ):
                return 403, _problem(403, "Forbidden", _DUPLICATE)
            parent = None
            if reply_to is not None:
                parent = self.tweets.get(int(reply_to))
                if parent is None or int(reply_to) in self.deleted:
                    return 400, _bad("Invalid Request: The `reply.in_reply_to_tweet_id` tweet "
                                     "has been deleted or is not visible to you.")
                if self.refuse_unmentioned_replies and not self.summoned(parent):
                    return 403, _problem(403, "Forbidden", _NOT_ENGAGED)
            tid = self.add_tweet(text, brand["username"], in_reply_to=reply_to,
                                 lang=str(payload.get("lang", "en")))
        return 201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}

    # -- server --

    def answer(self, request: Incoming) -> Answer:
        """One HTTP request through ``handle``, recorded for tests."""
        params = {k: v[-1] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        auth = request.headers.get("authorization", "")
        if self.latency:
            time.sleep(self.latency)
        status, payload, headers = self.handle(request.method, request.path, params,
                                               request.body, auth)
        with self.lock:
            self.requests.append(RequestRecord(
                request.method, request.path, params, status,
                "oauth1" if auth.startswith("OAuth ") else "bearer"))
        data = payload if isinstance(payload, bytes) else \
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Answer(status, data, headers)


_REASONS = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
            504: "Gateway Timeout"}
_TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests",
             "type": "about:blank", "status": 429}
_APP_ONLY = ("Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint. "
             "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User "
             "Context].")
_DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
_NOT_ENGAGED = ("Reply to this conversation is not allowed because you have not been mentioned "
                "or otherwise engaged by the author of the post you are replying to.")
_METRIC_NAMES = {"likes": "like_count", "like": "like_count", "reposts": "retweet_count",
                 "retweets": "retweet_count", "replies": "reply_count",
                 "quotes": "quote_count", "bookmarks": "bookmark_count",
                 "impressions": "impression_count", "views": "impression_count"}


def _metrics(engagement: dict[str, Any]) -> dict[str, int]:
    out = {}
    for key, value in engagement.items():
        name = key if key.endswith("_count") else _METRIC_NAMES.get(key)
        if name and isinstance(value, int | float):
            out[name] = int(value)
    return out


def _problem(status: int, title: str, detail: str | None = None) -> dict[str, Any]:
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


def _bad(message: str) -> dict[str, Any]:
    return {"errors": [{"parameters": {}, "message": message}], "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"}


def serve(host: str = "127.0.0.1", port: int = 8790, sample_path: Path | str | None = None,
          *, brand_handle: str = "lumora", speed: float = 1.0,
          stop: threading.Event | None = None,
          on_ready: Callable[[XSandbox], None] | None = None) -> None:
    """Run the X sandbox in the foreground until ``stop`` is set or Ctrl-C (``main.py sandbox``).

    Sample posts (platform "x" lines) appear at their ``offset_s`` divided by ``speed``
    after start. Point an X source at it with ``api_base_url = "http://HOST:PORT"``;
    ``on_ready`` gets the running sandbox (its ``url``, switches and state).
    """
    sandbox = XSandbox(brand_handle=brand_handle)
    if sample_path:
        count = sandbox.load_samples(sample_path, speed=speed)
        log.info("X sandbox: %d sample posts, released over time at speed %.1f", count, speed)
    url = sandbox.start(host, port)
    log.info("X sandbox listening on %s (brand @%s)", url, brand_handle)
    if on_ready:
        on_ready(sandbox)
    run_until_stopped(sandbox, stop)
