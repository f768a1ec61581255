"""Brand mentions on X through tweepy: recent search, optionally the mentions timeline.

One poll reads every page since the cursor's ``since_id`` and returns them together
with the new cursor, which the pipeline stores in one transaction: a crash between
pages moves nothing and the next poll reads the same posts again. Retweets and the
brand's own posts are dropped. With a monthly read cap the read-budget governor
(``listener.x.read_budget``) paces polls; its state lives in the cursor too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import tweepy

from config.secrets import secret
from config.settings import BrandSettings
from core.backoff import RetryPolicy
from core.clock import Clock, from_iso, to_iso
from core.errors import AuthError, MalformedResponse, RateLimited
from core.mention import Author, Mention
from listener.base import Poll, payload_errors
from listener.filters import addresses_brand, is_own_post
from listener.x import read_budget
from listener.x.client import BadQuery, call, make_client
from listener.x.query import build_query
from listener.x.settings import XSourceSettings

log = logging.getLogger(__name__)

TWEPOCH_MS = 1288834974657
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=2)  # a little margin inside 7 days
TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "lang", "public_metrics", "author_id"]
USER_FIELDS = ["username", "name", "verified", "public_metrics"]
# Quoted posts and their authors come along, to tell whether a quote summoned the brand.
EXPANSIONS = ["author_id", "in_reply_to_user_id", "referenced_tweets.id",
              "referenced_tweets.id.author_id"]
SANDBOX_TOKEN = "sandbox-token"


def is_local(base_url: str) -> bool:
    """A loopback base URL: the sandbox, where no real credentials are needed."""
    return (urlsplit(base_url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def tweet_time(tweet_id: int | str) -> datetime:
    """When a post was made, from its snowflake id."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000, UTC)


@dataclass(frozen=True)
class _Endpoint:
    """One X read endpoint as the source uses it."""

    key: str  # in the cursor: "search" or "mentions"
    since_key: str  # the cursor's since_id key for it
    token_name: str  # how X names its page token
    owned: bool  # priced as an owned read (the brand's own mentions timeline)


SEARCH = _Endpoint("search", "since_id", "next_token", owned=False)
MENTIONS = _Endpoint("mentions", "mentions_since_id", "pagination_token", owned=True)


class _Fetched:
    """The pages of one endpoint for one poll."""

    def __init__(self) -> None:
        self.tweets: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.quoted: dict[str, str] = {}  # quoted post id -> its author id
        self.newest: int | None = None
        self.truncated = False
        self.errors: list[str] = []  # worth a log line: partial errors, a cursor reset
        self.pending: str | None = None  # the page token a rate limit stopped us at
        self.limited: RateLimited | None = None
        self.window: dict[str, Any] = {}  # since_id / start_time the pages were read for
        self.account_id = ""  # the brand account, when this read looked it up


def next_cursor(cursor: dict[str, Any], fetched: list[tuple[_Endpoint, _Fetched]],
                now: datetime, name: str) -> tuple[dict[str, Any], list[str]]:
    """The cursor after a poll (a new dict; pure) and the notes worth logging.

    An endpoint a rate limit stopped keeps its page token and the window it was reading
    in ``resume`` (and the newest id seen so far), so the next poll goes on from there;
    a finished endpoint moves its since id to the newest post read. ``last_poll_at``
    moves only when no rate limit stopped the poll. The read budget's state is the
    caller's (``read_budget.record``)."""
    cursor = dict(cursor)
    notes = []
    resume = {k: dict(v) for k, v in (cursor.get("resume") or {}).items()}
    for endpoint, page in fetched:
        if page.account_id:
            cursor["account_id"] = page.account_id
        state = resume.get(endpoint.key) or ({"params": page.window} if page.window else {})
        newest = max(page.newest or 0, int(state.get("newest") or 0))
        if page.pending:  # stopped by a rate limit: go on from this page next time
            resume[endpoint.key] = {**state, "next_token": page.pending,
                                    "newest": str(newest) if newest else ""}
            notes.append(f"X {endpoint.key} ({name}): rate limited after "
                         f"{len(page.tweets)} posts; the next poll goes on from there")
            continue
        resume.pop(endpoint.key, None)
        if newest:
            cursor[endpoint.since_key] = str(max(newest, int(cursor.get(endpoint.since_key) or 0)))
    if resume:
        cursor["resume"] = resume
    else:
        cursor.pop("resume", None)
    if not any(page.limited for _, page in fetched):
        cursor["last_poll_at"] = to_iso(now)
    return cursor, notes


class XSource:
    platform = "x"

    def __init__(
        self,
        settings: XSourceSettings,
        brand: BrandSettings,
        clock: Clock,
        *,
        bearer_token: str | None = None,
        retry: RetryPolicy | None = None,
        key: str = "sources.query",
    ) -> None:
        self.name = settings.name
        self.settings, self.brand, self.clock = settings, brand, clock
        self.query = build_query(brand, languages=settings.languages or None,
                                 override=settings.query,
                                 max_length=settings.query_max_length, key=key)
        self.retry = retry or RetryPolicy(retries=settings.max_retries,
                                          backoff=settings.backoff_seconds)
        token = bearer_token or _secret("MENTIONDESK_X_BEARER_TOKEN")
        if not token and is_local(settings.api_base_url):
            token = SANDBOX_TOKEN
        self._has_token = bool(token)
        self.client = make_client(settings.api_base_url, bearer_token=token,
                                  timeout=settings.timeout_seconds)
        self.budget = read_budget.Budget.of(settings)
        self._requests = 0  # HTTP attempts of the poll under way
        log.info("X source %s: query %r", self.name, self.query)

    # -- poll --

    @payload_errors
    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        """Mentions timeline first (cheap owned reads, and every post there summoned the
        brand), then keyword search. A rate limit part-way keeps the pages read so far:
        the cursor remembers the page token (``resume``) and the next poll goes on from
        there, so a backlog larger than one rate-limit window still drains."""
        if not self._has_token:
            raise AuthError(f"X source {self.name}: MENTIONDESK_X_BEARER_TOKEN is not set")
        cursor = dict(cursor or {})
        now = self.clock.now()
        budget = self.budget
        last = from_iso(cursor["last_poll_at"]) if cursor.get("last_poll_at") else None
        covered = (now - last).total_seconds() if last else self.settings.backfill_hours * 3600
        allowance: int | None = None  # budget units (posts, or $0.001 of spend)
        if budget:
            plan = read_budget.plan(cursor.get("budget"), budget.cap, now,
                                    interval=self.settings.interval_seconds,
                                    covered_seconds=covered, reset_day=budget.reset_day)
            if not plan.poll_now:
                # Normal pacing, not worth a warning each interval.
                log.debug("X source %s: read budget %s, next poll at %s", self.name,
                          plan.reason, plan.next_poll_at)
                return Poll([], cursor, 0)
            allowance = plan.allowance

        self._requests, notes = 0, []
        endpoints = [MENTIONS, SEARCH] if self.settings.include_mentions_timeline else [SEARCH]
        fetched: list[tuple[_Endpoint, _Fetched]] = []
        spent = 0
        for endpoint in endpoints:
            price = budget.price(endpoint.owned) if budget else 1
            left = None if allowance is None else (allowance - spent) // price
            if left is not None and left < read_budget.MIN_PAGE:
                continue
            page = self._endpoint(endpoint, cursor, left)
            fetched.append((endpoint, page))
            spent += len(page.tweets) * price
            if page.limited:
                break

        mentions, seen, dropped = [], set(), 0
        for _, page in fetched:
            notes.extend(page.errors)
            for tweet in page.tweets:
                if tweet["id"] in seen:
                    continue
                seen.add(tweet["id"])
                mention = self._mention(tweet, page)
                if mention is None:
                    dropped += 1
                else:
                    mentions.append(mention)
        if dropped:
            log.debug("X source %s: dropped %d retweets/own posts", self.name, dropped)

        cursor, more = next_cursor(cursor, fetched, now, self.name)
        notes.extend(more)
        limited = next((page.limited for _, page in fetched if page.limited), None)
        if budget:
            truncated = any(page.truncated for _, page in fetched)
            span = covered
            if truncated:
                times = [_created(t) for _, page in fetched for t in page.tweets]
                span = (max(times) - min(times)).total_seconds() if times else covered
                notes.append(f"read budget: read the newest {len(mentions)} posts; older "
                             f"ones since the last poll were skipped to keep the monthly cap")
            cursor["budget"] = read_budget.record(
                cursor.get("budget"), budget.cap, now, read=spent, covered_seconds=span,
                interval=self.settings.interval_seconds, reset_day=budget.reset_day)
        return Poll(mentions, cursor, self._requests, notes,
                    retry_at=limited.reset_at if limited else None)

    def _count(self) -> None:
        """One HTTP attempt, for the poll's request count (``Poll.requests``)."""
        self._requests += 1

    def _endpoint(self, endpoint: _Endpoint, cursor: dict[str, Any],
                  allowance: int | None) -> _Fetched:
        """One endpoint's new posts: from a page token a rate limit left, or since the
        cursor's ``since_id``."""
        what = f"X {'mentions timeline' if endpoint.owned else 'search'} ({self.name})"
        looked_up = ""
        if endpoint.owned:
            account = cursor.get("account_id") or ""
            if not account:
                account = looked_up = self._account_id()
            method, base = self.client.get_users_mentions, {"id": account}
        else:
            method, base = self.client.search_recent_tweets, {"query": self.query}
        state = (cursor.get("resume") or {}).get(endpoint.key)
        if state:
            params = dict(base, **state.get("params", {}))
            out = self._pages(method, endpoint.token_name, params, allowance, what,
                              start_token=state["next_token"])
        else:
            out = self._fetch_since(method, endpoint, base, cursor, allowance, what)
        out.account_id = looked_up
        return out

    def _fetch_since(self, method: Callable[..., Any], endpoint: _Endpoint,
                     base: dict[str, Any], cursor: dict[str, Any], allowance: int | None,
                     what: str) -> _Fetched:
        """All pages after ``since_id``; falls back to ``start_time`` when it is too old."""
        now = self.clock.now()
        notes = []
        since_id = cursor.get(endpoint.since_key)
        window: dict[str, Any] = {}
        oldest = now - SEARCH_WINDOW
        if since_id and int(since_id) > 2**40 and tweet_time(since_id) < oldest:
            since_id = None
            notes.append(f"{what}: the cursor is older than X's 7-day search window; "
                         f"resuming from {oldest:%Y-%m-%d %H:%M} UTC, older posts are lost")
        if since_id:
            window["since_id"] = since_id
        else:
            backfill = now - timedelta(hours=self.settings.backfill_hours)
            window["start_time"] = _rfc3339(max(backfill, oldest))
        try:
            out = self._pages(method, endpoint.token_name, dict(base, **window), allowance,
                              what)
        except BadQuery as exc:
            if "since_id" not in str(exc) or "since_id" not in window:
                raise
            window = {"start_time": _rfc3339(oldest)}
            notes.append(f"{what}: X refused the cursor ({exc}); resuming from "
                         f"{oldest:%Y-%m-%d %H:%M} UTC")
            out = self._pages(method, endpoint.token_name, dict(base, **window), allowance,
                              what)
        out.window = window  # a rate limit part-way: the same window, page by page, next
        out.errors[:0] = notes
        return out

    def _pages(self, method: Callable[..., Any], token_name: str, params: dict[str, Any],
               allowance: int | None, what: str, start_token: str | None = None) -> _Fetched:
        out = _Fetched()
        token = start_token
        size_max = self.settings.max_results
        while True:
            size = size_max if allowance is None else min(size_max,
                                                          allowance - len(out.tweets))
            kwargs = dict(params, max_results=size, expansions=EXPANSIONS,
                          tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS)
            if token:
                kwargs[token_name] = token
            try:
                response = call(lambda kw=kwargs: method(**kw), self.clock, what, self.retry,
                                self._count)
            except RateLimited as exc:
                if not out.tweets:
                    raise  # nothing read: the cursor stays as it was
                out.pending, out.limited = token, exc
                return out
            token = self._take(response, out, what)
            if not token:
                return out
            if allowance is not None and allowance - len(out.tweets) < read_budget.MIN_PAGE:
                out.truncated = True
                return out

    @staticmethod
    def _take(response: tweepy.Response, out: _Fetched, what: str) -> str | None:
        """Add one page to ``out``; returns the next page's token."""
        meta = response.meta if isinstance(response.meta, dict) else None
        data = response.data if response.data is not None else []
        if meta is None or not isinstance(data, list) or \
                not all(isinstance(t, tweepy.Tweet) for t in data):
            raise MalformedResponse(f"{what}: the answer has no readable data/meta")
        for tweet in data:
            out.tweets.append(tweet.data)
            out.newest = max(out.newest or 0, tweet.id)
        for user in (response.includes or {}).get("users", []):
            out.users[str(user.id)] = user.data
        for ref in (response.includes or {}).get("tweets", []):
            out.quoted[str(ref.id)] = str(ref.data.get("author_id", ""))
        for error in response.errors or []:
            out.errors.append(f"{what}: partial error from X: "
                              f"{error.get('detail') or error.get('title') or error}")
        token = meta.get("next_token")
        return token if isinstance(token, str) and token else None

    def _account_id(self) -> str:
        """The brand account's user id, for its mentions timeline (stored in the cursor)."""
        handle = next((h.lstrip("@") for h in self.brand.handles), None)
        if not handle:
            raise AuthError(f"X source {self.name}: the mentions timeline needs a brand "
                            f"handle (brands.handles)")
        response = call(lambda: self.client.get_user(username=handle), self.clock,
                        f"X user lookup @{handle}", self.retry, self._count)
        if response.data is None:
            raise AuthError(f"X source {self.name}: X knows no account @{handle}")
        return str(response.data.id)

    # -- normalising --

    def _summoned(self, tweet: dict[str, Any], page: _Fetched) -> bool:
        """Whether X lets the brand reply by API: the post @mentions the brand, quotes a
        brand post, or answers the brand (X's rule for self-serve plans since 2026)."""
        if addresses_brand(str(tweet["text"]), self.brand.handles):
            return True
        own = [str(tweet.get("in_reply_to_user_id", ""))]
        own += [page.quoted.get(str(r.get("id")), "") for r in tweet.get("referenced_tweets") or []
                if r.get("type") == "quoted"]
        return any(is_own_post(str(page.users.get(uid, {}).get("username", "")),
                               self.brand.handles) for uid in own if uid)

    def _mention(self, tweet: dict[str, Any], page: _Fetched) -> Mention | None:
        """The post as a Mention; None for retweets and the brand's own posts."""
        users = page.users
        refs = tweet.get("referenced_tweets") or []
        if any(r.get("type") == "retweeted" for r in refs):
            return None
        author_id = str(tweet.get("author_id", ""))
        user = users.get(author_id, {})
        handle = str(user.get("username", ""))
        if handle and is_own_post(handle, self.brand.handles):
            return None
        text = str(tweet["text"])
        replyable = self._summoned(tweet, page)
        metrics = user.get("public_metrics") or {}
        replied_to = next((str(r["id"]) for r in refs if r.get("type") == "replied_to"), "")
        tid = str(tweet["id"])
        return Mention(
            platform="x",
            platform_id=tid,
            text=text,
            author=Author(platform_id=author_id, handle=handle, name=str(user.get("name", "")),
                          followers=int(metrics.get("followers_count", 0) or 0),
                          verified=bool(user.get("verified", False))),
            created_at=_created(tweet),
            url=f"https://x.com/{handle or 'i/web'}/status/{tid}",
            lang=str(tweet.get("lang", "")),
            conversation_id=str(tweet.get("conversation_id", "") or tid),
            in_reply_to_id=replied_to,
            engagement={k: int(v) for k, v in (tweet.get("public_metrics") or {}).items()
                        if isinstance(v, int)},
            raw={"tweet": tweet, "author": user},
            api_replyable=replyable,
        )


def _rfc3339(moment: datetime) -> str:
    """A time as X's start_time wants it (kept as text: it may wait in the cursor)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _created(tweet: dict[str, Any]) -> datetime:
    text = tweet.get("created_at")
    if isinstance(text, str):
        try:
            return from_iso(text)
        except ValueError:
            pass
    return tweet_time(tweet["id"])


def _secret(name: str) -> str | None:
    value = secret(name)
    return value.get_secret_value() if value else None
