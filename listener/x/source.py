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
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import tweepy

from config.secrets import secret
from config.settings import BrandSettings
from core.clock import Clock, from_iso, to_iso
from core.errors import AuthError, MalformedResponse
from core.mention import Author, Mention
from listener.base import Poll, payload_errors
from listener.filters import addresses_brand, is_own_post
from listener.x import read_budget
from listener.x.client import BadQuery, RetryPolicy, call, make_client
from listener.x.query import build_query
from listener.x.settings import XSourceSettings

log = logging.getLogger(__name__)

TWEPOCH_MS = 1288834974657
SEARCH_WINDOW = timedelta(days=7) - timedelta(minutes=2)  # a little margin inside 7 days
TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "lang", "public_metrics", "author_id"]
USER_FIELDS = ["username", "name", "verified", "public_metrics"]
EXPANSIONS = ["author_id", "in_reply_to_user_id"]
SANDBOX_TOKEN = "sandbox-token"


def is_local(base_url: str) -> bool:
    """A loopback base URL: the sandbox, where no real credentials are needed."""
    return (urlsplit(base_url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def tweet_time(tweet_id: int | str) -> datetime:
    """When a post was made, from its snowflake id."""
    return datetime.fromtimestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000, UTC)


class _Fetched:
    """The pages of one endpoint for one poll."""

    def __init__(self) -> None:
        self.tweets: list[dict[str, Any]] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.newest: int | None = None
        self.truncated = False
        self.errors: list[str] = []


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
        log.info("X source %s: query %r", self.name, self.query)

    # -- poll --

    @payload_errors
    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        if not self._has_token:
            raise AuthError(f"X source {self.name}: MENTIONDESK_X_BEARER_TOKEN is not set")
        cursor = dict(cursor or {})
        now = self.clock.now()
        cap = self.settings.monthly_read_cap
        last = from_iso(cursor["last_poll_at"]) if cursor.get("last_poll_at") else None
        covered = (now - last).total_seconds() if last else self.settings.backfill_hours * 3600
        allowance: int | None = None
        if cap:
            plan = read_budget.plan(cursor.get("budget"), cap, now,
                                    interval=self.settings.interval_seconds,
                                    covered_seconds=covered,
                                    reset_day=self.settings.read_cap_reset_day)
            if not plan.poll_now:
                # Normal pacing, not worth a warning each interval.
                log.debug("X source %s: read budget %s, next poll at %s", self.name,
                          plan.reason, plan.next_poll_at)
                return Poll([], cursor, 0)
            allowance = plan.allowance

        counter, notes = [0], []
        search = self._fetch_since(
            self.client.search_recent_tweets, "next_token", {"query": self.query},
            cursor.get("since_id"), allowance, counter, notes, f"X search ({self.name})")
        fetched = [search]
        if self.settings.include_mentions_timeline:
            left = None if allowance is None else allowance - len(search.tweets)
            if left is None or left >= read_budget.MIN_PAGE:
                account = cursor.get("account_id") or self._account_id(counter)
                cursor["account_id"] = account
                fetched.append(self._fetch_since(
                    self.client.get_users_mentions, "pagination_token", {"id": account},
                    cursor.get("mentions_since_id"), left, counter, notes,
                    f"X mentions timeline ({self.name})"))

        mentions, seen, dropped = [], set(), 0
        for page in fetched:
            notes.extend(page.errors)
            for tweet in page.tweets:
                if tweet["id"] in seen:
                    continue
                seen.add(tweet["id"])
                mention = self._mention(tweet, page.users)
                if mention is None:
                    dropped += 1
                else:
                    mentions.append(mention)
        if dropped:
            log.debug("X source %s: dropped %d retweets/own posts", self.name, dropped)

        if search.newest:
            cursor["since_id"] = str(max(search.newest, int(cursor.get("since_id") or 0)))
        if len(fetched) > 1 and fetched[1].newest:
            cursor["mentions_since_id"] = str(fetched[1].newest)
        cursor["last_poll_at"] = to_iso(now)
        read = sum(len(f.tweets) for f in fetched)
        if cap:
            truncated = any(f.truncated for f in fetched)
            span = covered
            if truncated:
                times = [_created(t) for f in fetched for t in f.tweets]
                span = (max(times) - min(times)).total_seconds() if times else covered
                notes.append(f"read budget: read the newest {read} posts; older ones since "
                             f"the last poll were skipped to keep the monthly cap")
            cursor["budget"] = read_budget.record(
                cursor.get("budget"), cap, now, read=read, covered_seconds=span,
                interval=self.settings.interval_seconds, reset_day=self.settings.read_cap_reset_day)
        return Poll(mentions, cursor, counter[0], notes)

    def _fetch_since(self, method: Callable[..., Any], token_name: str,
                     base: dict[str, Any], since_id: str | None, allowance: int | None,
                     counter: list[int], notes: list[str], what: str) -> _Fetched:
        """All pages after ``since_id``; falls back to ``start_time`` when it is too old."""
        now = self.clock.now()
        params = dict(base)
        oldest = now - SEARCH_WINDOW
        if since_id and int(since_id) > 2**40 and tweet_time(since_id) < oldest:
            since_id = None
            notes.append(f"{what}: the cursor is older than X's 7-day search window; "
                         f"resuming from {oldest:%Y-%m-%d %H:%M} UTC, older posts are lost")
        if since_id:
            params["since_id"] = since_id
        else:
            backfill = now - timedelta(hours=self.settings.backfill_hours)
            params["start_time"] = max(backfill, oldest)
        try:
            return self._pages(method, token_name, params, allowance, counter, what)
        except BadQuery as exc:
            if "since_id" not in str(exc) or "since_id" not in params:
                raise
            del params["since_id"]
            params["start_time"] = oldest
            notes.append(f"{what}: X refused the cursor ({exc}); resuming from "
                         f"{oldest:%Y-%m-%d %H:%M} UTC")
            return self._pages(method, token_name, params, allowance, counter, what)

    def _pages(self, method: Callable[..., Any], token_name: str, params: dict[str, Any],
               allowance: int | None, counter: list[int], what: str) -> _Fetched:
        out = _Fetched()
        token = None
        size_max = self.settings.max_results
        while True:
            size = size_max if allowance is None else min(size_max,
                                                          allowance - len(out.tweets))
            kwargs = dict(params, max_results=size, expansions=EXPANSIONS,
                          tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS)
            if token:
                kwargs[token_name] = token
            response = call(lambda kw=kwargs: method(**kw), self.clock, what, self.retry,
                            counter)
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
        for error in response.errors or []:
            out.errors.append(f"{what}: partial error from X: "
                              f"{error.get('detail') or error.get('title') or error}")
        token = meta.get("next_token")
        return token if isinstance(token, str) and token else None

    def _account_id(self, counter: list[int]) -> str:
        """The brand account's user id, for its mentions timeline (stored in the cursor)."""
        handle = next((h.lstrip("@") for h in self.brand.handles), None)
        if not handle:
            raise AuthError(f"X source {self.name}: the mentions timeline needs a brand "
                            f"handle (brands.handles)")
        response = call(lambda: self.client.get_user(username=handle), self.clock,
                        f"X user lookup @{handle}", self.retry, counter)
        if response.data is None:
            raise AuthError(f"X source {self.name}: X knows no account @{handle}")
        return str(response.data.id)

    # -- normalising --

    def _mention(self, tweet: dict[str, Any], users: dict[str, dict[str, Any]]) -> Mention | None:
        """The post as a Mention; None for retweets and the brand's own posts."""
        refs = tweet.get("referenced_tweets") or []
        if any(r.get("type") == "retweeted" for r in refs):
            return None
        author_id = str(tweet.get("author_id", ""))
        user = users.get(author_id, {})
        handle = str(user.get("username", ""))
        if handle and is_own_post(handle, self.brand.handles):
            return None
        text = str(tweet["text"])
        reply_user = users.get(str(tweet.get("in_reply_to_user_id", "")), {})
        replyable = addresses_brand(text, self.brand.handles) or bool(
            reply_user.get("username")
            and is_own_post(reply_user["username"], self.brand.handles))
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
