"""A local server that speaks the Bluesky (AT Protocol XRPC) subset mentiondesk uses.

The real ``atproto`` client talks to it in tests, in ``main.py sandbox`` and in the demo.
It imports nothing from ``listener/`` or ``responder/``: its grapheme counting, its
search matching and its rules are its own, so a client that misreads the real API
fails here too. Shapes follow the lexicons: sessions (``createSession`` limited to 30
per 5 minutes per handle, ``refreshSession`` rotating the refresh token, expired access
tokens answered 400 ``ExpiredToken``), ``listNotifications`` (sortAt order: the earlier
of createdAt and the indexing time, ``<ms>::<cid>`` cursors, ``reasons`` filter, posts
visible only once indexed), ``searchPosts`` (authenticated), ``getPosts``,
``getProfiles``, ``resolveHandle``, ``createRecord`` (300 graphemes and 3,000 bytes,
reply strong refs, facet ranges) and ``listRecords``. Every answer carries
``ratelimit-*`` headers; switches inject 429s, 5xx, and a 5xx after a record was made.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from core.clock import Clock, SystemClock
from sandbox import run_until_stopped
from sandbox.server import Answer, AppServer, Incoming, Served

log = logging.getLogger(__name__)

ACCESS_TTL = timedelta(hours=2)
REFRESH_TTL = timedelta(days=90)
WINDOW = 300  # seconds of the per-IP rate window
POST = "app.bsky.feed.post"
MAX_GRAPHEMES, MAX_BYTES = 300, 3000
_B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable: text order is time order


# --- text rules (the sandbox's own) ----------------------------------------------------

def _is_extend(ch: str) -> bool:
    code = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Me", "Mc") or 0x1F3FB <= code <= 0x1F3FF
            or 0xFE00 <= code <= 0xFE0F or 0xE0020 <= code <= 0xE007F or code == 0x200C)


# Scripts whose virama joins the next consonant into one cluster (Unicode 15.1, GB9c).
_CONJUNCT_SCRIPTS = ((0x0900, 0x09FF), (0x0A80, 0x0B7F), (0x0C00, 0x0C7F), (0x0D00, 0x0D7F))


def _conjunct(prev: str, ch: str) -> bool:
    return (bool(prev) and unicodedata.combining(prev) == 9
            and unicodedata.category(ch) == "Lo"
            and any(lo <= ord(ch) <= hi for lo, hi in _CONJUNCT_SCRIPTS))


def grapheme_count(text: str) -> int:
    """User-perceived characters: marks, variation selectors, skin tones and tags extend
    the previous one, ZWJ joins two, regional indicators pair into flags, CR LF is one,
    Hangul jamo sequences are one syllable, a virama joins Indic consonants."""
    count, prev, ri_open = 0, "", False
    join_next = False
    for ch in text:
        code = ord(ch)
        if count and (_is_extend(ch) or code == 0x200D or join_next or _conjunct(prev, ch)
                      or (prev == "\r" and ch == "\n")
                      or (0x1160 <= code <= 0x11FF and prev and 0x1100 <= ord(prev) <= 0x11FF)):
            join_next = code == 0x200D
            prev = ch
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            if ri_open:
                ri_open = False
                prev = ch
                continue
            ri_open = True
        else:
            ri_open = False
        count += 1
        prev = ch
    return count


def _words(text: str) -> list[str]:
    return re.findall(r"[\w@.#'-]+", unicodedata.normalize("NFKC", text).lower())


def search_matches(query: str, text: str) -> bool:
    """Every term of ``query`` appears as a word ("quoted phrases" as a run of words)."""
    words = _words(text)
    joined = " " + " ".join(words) + " "
    for phrase in re.findall(r'"([^"]+)"|(\S+)', query):
        term = " ".join(_words(phrase[0] or phrase[1]))
        if term and f" {term} " not in joined:
            return False
    return True


# --- ids and tokens ----------------------------------------------------------------------

def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _cid(data: Any) -> str:
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _tid(moment: datetime, seq: int) -> str:
    """A record key as PDSes make them: 53 bits of microseconds and 10 of clock id, base32."""
    value = (int(moment.timestamp() * 1_000_000) << 10) | (seq & 0x3FF)
    return "".join(_B32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


# --- state ----------------------------------------------------------------------------------

@dataclass
class Fault:
    status: int  # 200: a 200 whose body is cut off
    times: int
    nsid: str | None = None
    skip: int = 0
    after: bool = False  # answer the status after doing the work (a lost answer)
    reset_in: float = 60.0


@dataclass
class Event:
    """One notification of the brand account."""

    uri: str
    cid: str
    author: str  # did
    reason: str
    record: dict[str, Any]
    sort_at: datetime
    visible_at: datetime
    subject: str | None = None


@dataclass
class Call:
    nsid: str
    params: dict[str, Any]
    status: int


@dataclass
class _Session:
    did: str
    access: dict[str, datetime] = field(default_factory=dict)  # token -> expiry
    refresh: dict[str, datetime] = field(default_factory=dict)


class BlueskySandbox(Served):
    """State and HTTP server of the fake Bluesky; thread-safe, clock injectable."""

    server_name = "bluesky-sandbox"

    def __init__(self, *, brand_handle: str = "lumora.bsky.social", app_password: str | None = None,
                 clock: Clock | None = None, index_lag_seconds: float = 0.0,
                 rate_limit: int = 3000, login_limit: int = 30, login_daily_limit: int = 300,
                 endpoint_limits: dict[str, int] | None = None) -> None:
        self.clock = clock or SystemClock()
        self.lock = threading.RLock()
        self.app_password = app_password  # None: any non-empty password
        self.expired_status = 400  # what the PDS answers an expired token (some proxies: 401)
        self.index_lag = timedelta(seconds=index_lag_seconds)
        self.rate_limit, self.login_limit, self.login_daily_limit = (
            rate_limit, login_limit, login_daily_limit)
        self.endpoint_limits = dict(endpoint_limits or {})
        self.accounts: dict[str, dict[str, Any]] = {}
        self._dids: dict[str, str] = {}  # lower-case handle -> did
        self.posts: dict[str, dict[str, Any]] = {}
        self.events: list[Event] = []
        self.sessions: dict[str, _Session] = {}
        self.logins: list[tuple[datetime, str]] = []
        self.faults: list[Fault] = []
        self.calls: list[Call] = []
        self._windows: dict[str, tuple[float, int]] = {}
        self._seq = 0
        self._sample_uris: dict[str, str] = {}
        self.brand = self.add_account(brand_handle, "Lumora", followers=21000)
        self._server: AppServer | None = None

    # -- data --

    def add_account(self, handle: str, name: str = "", *, followers: int = 0) -> str:
        with self.lock:
            did = "did:plc:" + hashlib.sha1(handle.lower().encode()).hexdigest()[:24]
            self.accounts[did] = {"did": did, "handle": handle, "displayName": name or handle,
                                  "followersCount": followers, "followsCount": 0,
                                  "postsCount": 0}
            self._dids[handle.lower()] = did
            return did

    def did_of(self, handle: str) -> str:
        with self.lock:
            return self._dids.get(handle.lower().lstrip("@")) or self.add_account(handle)

    def add_post(self, author: str, text: str, *, reply_to: str | None = None,
                 quote: str | None = None, created_at: datetime | None = None,
                 indexed_at: datetime | None = None, langs: list[str] | None = None,
                 likes: int = 0, reply_disabled: bool = False) -> str:
        """A post by ``author`` (a handle); @handles of known accounts get mention facets.
        Returns its at:// uri. It is visible once indexed (``indexed_at``, default
        ``created_at`` plus the index lag)."""
        with self.lock:
            did = self.did_of(author)
            created = created_at or self.clock.now()
            record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _iso(created),
                                      "langs": langs or ["en"]}
            facets = self._mention_facets(text)
            if facets:
                record["facets"] = facets
            if reply_to:
                parent = self.posts[reply_to]
                root = parent["record"].get("reply", {}).get("root") or \
                    {"uri": parent["uri"], "cid": parent["cid"]}
                record["reply"] = {"root": root,
                                   "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
            if quote:
                quoted = self.posts[quote]
                record["embed"] = {"$type": "app.bsky.embed.record",
                                   "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}
            return self._store(did, record, created, indexed_at, likes=likes,
                               reply_disabled=reply_disabled)

    def _store(self, did: str, record: dict[str, Any], created: datetime,
               indexed_at: datetime | None = None, *, likes: int = 0,
               reply_disabled: bool = False, rkey: str | None = None) -> str:
        self._seq += 1
        rkey = rkey or _tid(created, self._seq)
        uri = f"at://{did}/{POST}/{rkey}"
        indexed = indexed_at or (created + self.index_lag)
        post = {"uri": uri, "cid": _cid([uri, record]), "did": did, "rkey": rkey,
                "record": record, "created": created, "indexed": indexed,
                "sort_at": min(created, indexed), "likes": likes, "replies": 0,
                "reply_disabled": reply_disabled}
        self.posts[uri] = post
        self.accounts[did]["postsCount"] += 1
        parent = self.posts.get(record.get("reply", {}).get("parent", {}).get("uri", ""))
        if parent:
            parent["replies"] += 1
        self._notify(post)
        return uri

    def _mention_facets(self, text: str) -> list[dict[str, Any]]:
        facets = []
        data = text.encode("utf-8")
        for match in re.finditer(rb"@([a-zA-Z0-9.-]+[a-zA-Z0-9])", data):
            did = self._dids.get(match.group(1).decode().lower())
            if did:
                facets.append({"index": {"byteStart": match.start(), "byteEnd": match.end()},
                               "features": [{"$type": "app.bsky.richtext.facet#mention",
                                             "did": did}]})
        return facets

    def _notify(self, post: dict[str, Any]) -> None:
        """The brand's notifications for a new post: mention (by facet), reply, quote."""
        if post["did"] == self.brand:
            return
        record = post["record"]
        reason, subject = None, None
        parent = self.posts.get(record.get("reply", {}).get("parent", {}).get("uri", ""))
        quoted = self.posts.get(record.get("embed", {}).get("record", {}).get("uri", ""))
        if parent and parent["did"] == self.brand:
            reason, subject = "reply", parent["uri"]
        elif quoted and quoted["did"] == self.brand:
            reason, subject = "quote", quoted["uri"]
        elif any(f.get("did") == self.brand for facet in record.get("facets", [])
                 for f in facet["features"]):
            reason = "mention"
        if reason:
            self.events.append(Event(post["uri"], post["cid"], post["did"], reason, record,
                                     post["sort_at"], post["indexed"], subject))

    def delete(self, uri: str) -> None:
        """Its author deletes the post: gone from every view, its notification too."""
        with self.lock:
            self.posts.pop(uri, None)
            self.events = [e for e in self.events if e.uri != uri]

    def add_like(self, author: str, subject: str, at: datetime | None = None) -> None:
        """A like of the brand's post ``subject``: a notification mentiondesk must ignore."""
        self._add_event(author, "like", "app.bsky.feed.like", subject, at)

    def add_follow(self, author: str, at: datetime | None = None) -> None:
        self._add_event(author, "follow", "app.bsky.graph.follow", None, at)

    def _add_event(self, author: str, reason: str, collection: str, subject: str | None,
                   at: datetime | None) -> None:
        with self.lock:
            did, moment = self.did_of(author), at or self.clock.now()
            self._seq += 1
            target = {"uri": subject, "cid": self.posts[subject]["cid"]} if subject else self.brand
            record: dict[str, Any] = {"$type": collection, "createdAt": _iso(moment),
                                      "subject": target}
            uri = f"at://{did}/{collection}/{_tid(moment, self._seq)}"
            self.events.append(Event(uri, _cid([uri, record]), did, reason, record, moment,
                                     moment, subject))

    def load_samples(self, path: Path | str, *, speed: float = 1.0,
                     start: datetime | None = None) -> int:
        """Feed the platform "bluesky" lines of a samples JSONL file, each appearing at
        ``start + offset_s / speed``. Handles without a dot get ``.bsky.social``."""
        lines = [json.loads(raw) for raw in Path(path).read_text(encoding="utf-8").splitlines()
                 if raw.strip()]
        lines = sorted((i for i in lines if i.get("platform") == "bluesky"),
                       key=lambda i: float(i.get("offset_s", 0)))
        base = start or self.clock.now()
        with self.lock:
            for item in lines:
                author = item.get("author") or {}
                handle = str(author.get("handle") or "someone")
                handle = handle if "." in handle else f"{handle}.bsky.social"
                if handle.lower() not in self._dids:
                    self.add_account(handle, str(author.get("name") or ""),
                                     followers=int(author.get("followers") or 0))
                parent = self._sample_uris.get(item.get("in_reply_to_id") or "")
                at = base + timedelta(seconds=float(item.get("offset_s", 0)) / speed)
                self._sample_uris[item["id"]] = self.add_post(
                    handle, str(item["text"]), reply_to=parent, created_at=at,
                    langs=[str(item.get("lang") or "en")],
                    likes=int((item.get("engagement") or {}).get("likes", 0)))
        return len(lines)

    def sample_uri(self, sample_id: str) -> str:
        return self._sample_uris[sample_id]

    def posts_by(self, handle: str) -> list[dict[str, Any]]:
        did = self.did_of(handle)
        return sorted((p for p in self.posts.values() if p["did"] == did),
                      key=lambda p: p["rkey"])

    # -- switches --

    def fail_next(self, status: int, times: int = 1, *, nsid: str | None = None,
                  skip: int = 0, reset_in: float = 60.0) -> None:
        """The next ``times`` calls of ``nsid`` (after ``skip``) answer ``status``."""
        with self.lock:
            self.faults.append(Fault(status, times, nsid, skip, reset_in=reset_in))

    def malformed_next(self, nsid: str, *, after: bool = False) -> None:
        """The next call of ``nsid`` answers 200 with a cut-off body (after its work)."""
        with self.lock:
            self.faults.append(Fault(200, 1, nsid, after=after))

    def lose_next_answer(self, nsid: str = "com.atproto.repo.createRecord",
                         status: int = 502) -> None:
        """The next call of ``nsid`` does its work, then answers ``status``."""
        with self.lock:
            self.faults.append(Fault(status, 1, nsid, after=True))

    def expire_access_tokens(self) -> None:
        """Every access token expires now (the refresh tokens still work)."""
        with self.lock:
            for session in self.sessions.values():
                session.access = dict.fromkeys(session.access, self.clock.now())

    def count(self, nsid: str) -> int:
        return sum(1 for c in self.calls if c.nsid == nsid)

    def _take_fault(self, nsid: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.nsid in (None, nsid):
                    if fault.skip:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    self.faults = [f for f in self.faults if f.times > 0]
                    return fault
        return None

    # -- rate limits --

    def _rate(self, bucket: str, limit: int, window: float, cost: int = 1
              ) -> tuple[bool, dict[str, str]]:
        now = self.clock.now().timestamp()
        with self.lock:
            start, used = self._windows.get(bucket, (now, 0))
            if now >= start + window:
                start, used = now, 0
            allowed = used + cost <= limit
            if allowed:
                used += cost
            self._windows[bucket] = (start, used)
        return allowed, {"ratelimit-limit": str(limit),
                         "ratelimit-remaining": str(max(limit - used, 0)),
                         "ratelimit-reset": str(int(start + window)),
                         "ratelimit-policy": f"{limit};w={int(window)}"}

    # -- HTTP --

    def dispatch(self, nsid: str, method: str, params: dict[str, Any], body: dict[str, Any],
                 auth: str) -> tuple[int, dict[str, Any] | bytes, dict[str, str]]:
        """Answer one XRPC call: (status, JSON body, headers)."""
        route = _ROUTES.get((method, nsid))
        if route is None:
            return 501, _err("MethodNotImplemented", "Method Not Implemented"), {}
        allowed, headers = self._rate("ip", self.rate_limit, WINDOW)
        if nsid in self.endpoint_limits:
            ok, headers = self._rate(nsid, self.endpoint_limits[nsid], WINDOW)
            allowed = allowed and ok
        fault = self._take_fault(nsid)
        if fault and not fault.after:
            if fault.status == 200:
                return 200, _CUT_OFF, headers
            if fault.status == 429:
                reset = int(self.clock.now().timestamp() + fault.reset_in)
                return 429, _err("RateLimitExceeded", "Rate Limit Exceeded"), {
                    **headers, "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}
            return fault.status, _err("InternalServerError", "Internal Server Error"), headers
        if not allowed:
            return 429, _err("RateLimitExceeded", "Rate Limit Exceeded"), {
                **headers, "ratelimit-remaining": "0"}
        caller = ""
        if nsid not in _OPEN:
            who = self._caller(auth, refresh=nsid == "com.atproto.server.refreshSession")
            if isinstance(who, tuple):
                return (*who, headers)
            caller = who
        status, payload, extra = route(self, caller, params, body)
        if fault and fault.after and status < 300:
            if fault.status == 200:
                return 200, _CUT_OFF, headers
            return fault.status, _err("InternalServerError", "Internal Server Error"), headers
        return status, payload, {**headers, **extra}

    def _caller(self, auth: str, *, refresh: bool = False
                ) -> str | tuple[int, dict[str, Any]]:
        """The did behind a bearer token, or an XRPC error as the PDS answers it."""
        if not auth.startswith("Bearer "):
            return 401, _err("AuthMissing", "Authentication Required")
        token = auth[len("Bearer "):]
        now = self.clock.now()
        with self.lock:
            for did, session in self.sessions.items():
                expiry = (session.refresh if refresh else session.access).get(token)
                if expiry is not None:
                    if expiry <= now:
                        return self.expired_status, _err("ExpiredToken", "Token has expired")
                    return did
        return 400, _err("InvalidToken", "Token could not be verified")

    def _tokens(self, did: str) -> dict[str, str]:
        now = self.clock.now()
        self._seq += 1
        tokens = {}
        for kind, ttl, scope in (("access", ACCESS_TTL, "com.atproto.appPass"),
                                 ("refresh", REFRESH_TTL, "com.atproto.refresh")):
            payload = {"scope": scope, "sub": did, "iat": int(now.timestamp()),
                       "exp": int((now + ttl).timestamp()), "jti": f"{self._seq}-{kind}",
                       "aud": "did:web:sandbox.bsky.local"}
            token = ".".join((_b64({"typ": "at+jwt", "alg": "ES256K"}), _b64(payload),
                              _b64({"sig": self._seq})))
            getattr(self.sessions.setdefault(did, _Session(did)), kind)[token] = now + ttl
            tokens[f"{kind}Jwt"] = token
        account = self.accounts[did]
        return {**tokens, "handle": account["handle"], "did": did, "active": True,
                "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": did,
                           "alsoKnownAs": [f"at://{account['handle']}"],
                           "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                        "serviceEndpoint": self.url}]}}

    # -- views --

    def profile(self, did: str, detailed: bool = False) -> dict[str, Any]:
        account = self.accounts[did]
        out = {"did": did, "handle": account["handle"], "displayName": account["displayName"],
               "labels": []}
        if detailed:
            out.update({k: account[k] for k in ("followersCount", "followsCount", "postsCount")})
        return out

    def post_view(self, post: dict[str, Any]) -> dict[str, Any]:
        view = {"uri": post["uri"], "cid": post["cid"], "author": self.profile(post["did"]),
                "record": post["record"], "replyCount": post["replies"], "repostCount": 0,
                "likeCount": post["likes"], "quoteCount": 0, "indexedAt": _iso(post["sort_at"]),
                "labels": [], "viewer": {}}
        if post["reply_disabled"]:
            view["viewer"]["replyDisabled"] = True
        return view

    # -- server --

    def answer(self, request: Incoming) -> Answer:
        """One HTTP request: ``/xrpc/<nsid>`` through ``dispatch``, recorded for tests."""
        nsid = request.path.removeprefix("/xrpc/").strip("/")
        params: dict[str, Any] = {
            key: values if key in _LIST_PARAMS else values[-1]
            for key, values in parse_qs(request.query, keep_blank_values=True).items()}
        body: Any = {}
        if request.method == "POST" and request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = None
        if not isinstance(body, dict):
            status, payload, headers = 400, _err("InvalidRequest", "Invalid JSON body"), {}
        else:
            status, payload, headers = self.dispatch(
                nsid, request.method, params, body, request.headers.get("authorization", ""))
        with self.lock:
            self.calls.append(Call(nsid, params, status))
        data = payload if isinstance(payload, bytes) else \
            json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Answer(status, data, headers)


# --- endpoints ----------------------------------------------------------------------------

Reply = tuple[int, dict[str, Any], dict[str, str]]
_CUT_OFF = b'{"notifications": [{"uri": "at://did:plc:x/app.bsky.feed.post/3k'  # a 200 cut short


def _err(error: str, message: str) -> dict[str, Any]:
    return {"error": error, "message": message}


def _bad(message: str) -> Reply:
    return 400, _err("InvalidRequest", message), {}


def _too_many(name: str) -> Reply:
    return _bad(f"Error: {name} must not have more than 25 elements")


def _limit(params: dict[str, Any], default: int) -> int | None:
    try:
        value = int(params.get("limit", default))
    except ValueError:
        return None
    return value if 1 <= value <= 100 else None


def _create_session(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                    body: dict[str, Any]) -> Reply:
    identifier = str(body.get("identifier", "")).lower().lstrip("@")
    password = str(body.get("password", ""))
    did = identifier if identifier in sb.accounts else sb._dids.get(identifier)
    now = sb.clock.now()
    with sb.lock:
        recent = [t for t, who in sb.logins if who == identifier]
        window = [t for t in recent if t > now - timedelta(seconds=WINDOW)]
        day = [t for t in recent if t > now - timedelta(days=1)]
        if len(window) >= sb.login_limit or len(day) >= sb.login_daily_limit:
            limit, times, span = ((sb.login_limit, window, WINDOW) if len(window) >= sb.login_limit
                                  else (sb.login_daily_limit, day, 86400))
            reset = int((min(times) + timedelta(seconds=span)).timestamp())
            return 429, _err("RateLimitExceeded", "Rate Limit Exceeded"), {
                "ratelimit-limit": str(limit), "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset), "ratelimit-policy": f"{limit};w={span}"}
        sb.logins.append((now, identifier))
        if not did or not password or (sb.app_password is not None
                                        and password != sb.app_password):
            return 401, _err("AuthenticationRequired", "Invalid identifier or password"), {}
        return 200, sb._tokens(did), {}


def _refresh_session(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                     body: dict[str, Any]) -> Reply:
    with sb.lock:
        sb.sessions[caller].refresh.clear()  # refresh tokens are single use
        return 200, sb._tokens(caller), {}


def _list_notifications(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                        body: dict[str, Any]) -> Reply:
    if caller != sb.brand:
        return 200, {"notifications": []}, {}
    limit = _limit(params, 50)
    if limit is None:
        return _bad("limit must be between 1 and 100")
    if "seenAt" in params:
        return _bad("seenAt is not supported")
    reasons = set(params.get("reasons") or [])
    now = sb.clock.now()
    with sb.lock:
        events = sorted((e for e in sb.events if e.visible_at <= now
                         and (not reasons or e.reason in reasons)),
                        key=lambda e: (e.sort_at, e.cid), reverse=True)
    cursor = params.get("cursor")
    if cursor:
        try:
            ms, cid = cursor.split("::")
            key = (datetime.fromtimestamp(int(ms) / 1000, UTC), cid)
        except ValueError:
            return _bad("Malformed cursor")
        events = [e for e in events if (e.sort_at, e.cid) < key]
    page = events[:limit]
    answer: dict[str, Any] = {"notifications": [
        {"uri": e.uri, "cid": e.cid, "author": sb.profile(e.author), "reason": e.reason,
         "record": e.record, "isRead": False, "indexedAt": _iso(e.sort_at), "labels": [],
         **({"reasonSubject": e.subject} if e.subject else {})} for e in page]}
    if len(events) > limit:
        last = page[-1]
        answer["cursor"] = f"{int(last.sort_at.timestamp() * 1000)}::{last.cid}"
    return 200, answer, {}


def _search_posts(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                  body: dict[str, Any]) -> Reply:
    query = str(params.get("q", "")).strip()
    if not query:
        return _bad("Params must have the property \"q\"")
    limit = _limit(params, 25)
    if limit is None:
        return _bad("limit must be between 1 and 100")
    try:
        since = _parse(params["since"]) if params.get("since") else None
        until = _parse(params["until"]) if params.get("until") else None
        offset = int(params.get("cursor") or 0)
    except ValueError:
        return _bad("bad since, until or cursor")
    now = sb.clock.now()
    with sb.lock:
        hits = [p for p in sb.posts.values() if p["indexed"] <= now
                and (since is None or p["sort_at"] >= since)
                and (until is None or p["sort_at"] < until)
                and (not params.get("lang") or params["lang"] in p["record"].get("langs", []))
                and search_matches(query, p["record"]["text"])]
    hits.sort(key=lambda p: (p["sort_at"], p["cid"]), reverse=True)
    page = hits[offset:offset + limit]
    answer: dict[str, Any] = {"posts": [sb.post_view(p) for p in page], "hitsTotal": len(hits)}
    if offset + limit < len(hits):
        answer["cursor"] = str(offset + limit)
    return 200, answer, {}


def _get_posts(sb: BlueskySandbox, caller: str, params: dict[str, Any],
               body: dict[str, Any]) -> Reply:
    uris = params.get("uris") or []
    if len(uris) > 25:
        return _too_many("uris")
    with sb.lock:
        found = [sb.post_view(sb.posts[u]) for u in uris if u in sb.posts]
    return 200, {"posts": found}, {}


def _get_profiles(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                  body: dict[str, Any]) -> Reply:
    actors = params.get("actors") or []
    if len(actors) > 25:
        return _too_many("actors")
    with sb.lock:
        dids = [a if a in sb.accounts else sb._dids.get(a.lower()) for a in actors]
        return 200, {"profiles": [sb.profile(d, True) for d in dids if d]}, {}


def _resolve_handle(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                    body: dict[str, Any]) -> Reply:
    did = sb._dids.get(str(params.get("handle", "")).lower())
    return (200, {"did": did}, {}) if did else _bad("Unable to resolve handle")


def _check_post(record: dict[str, Any]) -> str | None:
    """Why the PDS's lexicon validation refuses an app.bsky.feed.post record, if it does."""
    text = record.get("text")
    if not isinstance(text, str):
        return "Record/text must be a string"
    if grapheme_count(text) > MAX_GRAPHEMES:
        return f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes"
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return f"Record/text must not be longer than {MAX_BYTES} characters"
    try:
        _parse(str(record.get("createdAt")))
    except ValueError:
        return "Record/createdAt must be an valid atproto datetime"
    reply = record.get("reply")
    if reply is not None:
        for key in ("root", "parent"):
            ref = reply.get(key) if isinstance(reply, dict) else None
            if not (isinstance(ref, dict) and str(ref.get("uri", "")).startswith("at://")
                    and isinstance(ref.get("cid"), str) and ref["cid"]):
                return f"Record/reply/{key} must be a strong ref (uri and cid)"
    for i, facet in enumerate(record.get("facets") or []):
        index = facet.get("index") or {}
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= size):
            return f"Record/facets/{i}/index must lie inside the text's bytes"
    return None


def _create_record(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                   body: dict[str, Any]) -> Reply:
    repo = str(body.get("repo", ""))
    if repo not in (caller, sb.accounts[caller]["handle"]):
        return 400, _err("InvalidRequest", "Input/repo must be the authenticated account"), {}
    if body.get("collection") != POST:
        return _bad("the sandbox only stores app.bsky.feed.post records")
    record = body.get("record")
    if not isinstance(record, dict):
        return _bad("Input/record must be an object")
    problem = _check_post(record)
    if problem:
        return _bad(f"Invalid app.bsky.feed.post record: {problem}")
    allowed, headers = sb._rate(f"write:{caller}", 5000, 3600, cost=3)
    if not allowed:
        return 429, _err("RateLimitExceeded", "Rate Limit Exceeded"), {
            **headers, "ratelimit-remaining": "0"}
    with sb.lock:
        rkey = body.get("rkey")
        if rkey and f"at://{caller}/{POST}/{rkey}" in sb.posts:
            return _bad("Record already exists")
        now = sb.clock.now()
        sb._seq += 1
        uri = sb._store(caller, record, _parse(record["createdAt"]), now,
                        rkey=rkey or _tid(now, sb._seq))
        post = sb.posts[uri]
    return 200, {"uri": uri, "cid": post["cid"], "validationStatus": "valid",
                 "commit": {"cid": _cid(["commit", uri]), "rev": post["rkey"]}}, {}


def _list_records(sb: BlueskySandbox, caller: str, params: dict[str, Any],
                  body: dict[str, Any]) -> Reply:
    limit = _limit(params, 50)
    if limit is None:
        return _bad("limit must be between 1 and 100")
    did = params.get("repo", "")
    did = did if did in sb.accounts else sb._dids.get(str(did).lower(), "")
    if not did:
        return _bad(f"Could not find repo: {params.get('repo')}")
    if params.get("collection") != POST:
        return 200, {"records": []}, {}
    reverse = str(params.get("reverse", "false")).lower() == "true"
    with sb.lock:
        posts = sorted((p for p in sb.posts.values() if p["did"] == did),
                       key=lambda p: p["rkey"], reverse=not reverse)
    cursor = params.get("cursor")
    if cursor:
        posts = [p for p in posts if (p["rkey"] > cursor if reverse else p["rkey"] < cursor)]
    page = posts[:limit]
    answer: dict[str, Any] = {"records": [{"uri": p["uri"], "cid": p["cid"],
                                           "value": p["record"]} for p in page]}
    if len(posts) > limit:
        answer["cursor"] = page[-1]["rkey"]
    return 200, answer, {}


_ROUTES: dict[tuple[str, str], Callable[..., Reply]] = {
    ("POST", "com.atproto.server.createSession"): _create_session,
    ("POST", "com.atproto.server.refreshSession"): _refresh_session,
    ("GET", "app.bsky.notification.listNotifications"): _list_notifications,
    ("GET", "app.bsky.feed.searchPosts"): _search_posts,
    ("GET", "app.bsky.feed.getPosts"): _get_posts,
    ("GET", "app.bsky.actor.getProfiles"): _get_profiles,
    ("GET", "com.atproto.identity.resolveHandle"): _resolve_handle,
    ("POST", "com.atproto.repo.createRecord"): _create_record,
    ("GET", "com.atproto.repo.listRecords"): _list_records,
}
_OPEN = {"com.atproto.server.createSession", "com.atproto.identity.resolveHandle",
         "com.atproto.repo.listRecords"}
_LIST_PARAMS = {"reasons", "uris", "actors"}


def serve(host: str = "127.0.0.1", port: int = 8792, sample_path: Path | str | None = None,
          *, brand_handle: str = "lumora.bsky.social", speed: float = 1.0,
          stop: threading.Event | None = None,
          on_ready: Callable[[BlueskySandbox], None] | None = None) -> None:
    """Run the Bluesky sandbox in the foreground until ``stop`` or Ctrl-C (``main.py sandbox``).

    Sample posts (platform "bluesky" lines) appear at their ``offset_s`` divided by
    ``speed``. Point a Bluesky source at it with ``service_url = "http://HOST:PORT"``.
    """
    sandbox = BlueskySandbox(brand_handle=brand_handle)
    if sample_path:
        count = sandbox.load_samples(sample_path, speed=speed)
        log.info("Bluesky sandbox: %d sample posts, released over time at speed %.1f",
                 count, speed)
    url = sandbox.start(host, port)
    log.info("Bluesky sandbox listening on %s (brand @%s)", url, brand_handle)
    if on_ready:
        on_ready(sandbox)
    run_until_stopped(sandbox, stop)
