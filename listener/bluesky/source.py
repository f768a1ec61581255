"""Brand mentions on Bluesky: the account's notifications, optionally keyword search.

``app.bsky.notification.listNotifications`` lists mentions (by facet), replies to the
brand's posts and quotes of them, newest first, with likes, reposts and follows that
are dropped. It has no "since": each poll reads pages from the top until it reaches
what it has read before. Bluesky orders notifications by sortAt (the earlier of the
post's createdAt and its indexing time) and reports that as ``indexedAt``, so a post
indexed late can land just below the newest one already read: the walk stops only
``overlap_seconds`` below the newest time seen, and skips the uris seen in that window.

A poll that runs out of pages or meets a 429 part-way keeps what it read: the cursor
records the unread stretch as a gap (the API cursor to go on from, and where to stop),
which later polls read after the new notifications, so a backlog drains across rate
windows without losing or repeating anything. After a 429 the poll says when to go on
(``Poll.retry_at``): the pipeline stores what was read and waits until then.

Keyword search (``app.bsky.feed.searchPosts``) is off by default, as Bluesky asks: when
on, it runs at most every ``search_interval_seconds``, a few pages per term.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from atproto import Client

from config.settings import BrandSettings
from core.clock import Clock, from_iso, to_iso
from core.errors import RateLimited, SourceError, SourceUnavailable
from core.mention import Author, Mention
from listener.base import Poll, payload_errors
from listener.bluesky.client import BlueskyClient, as_dict, shared_client
from listener.bluesky.settings import BlueskySourceSettings
from listener.filters import matches_brand

log = logging.getLogger(__name__)

REASONS = ["mention", "reply", "quote"]
POST = "app.bsky.feed.post"
PAGE = 100
PROFILE_TTL = timedelta(hours=6)
Page = tuple[list[dict[str, Any]], str | None]


class BlueskySource:
    platform = "bluesky"

    def __init__(self, settings: BlueskySourceSettings, brand: BrandSettings, clock: Clock,
                 client: BlueskyClient | None = None) -> None:
        self.name = settings.name
        self.settings, self.brand, self.clock = settings, brand, clock
        self.client = client or shared_client(settings, clock)
        self.terms = settings.search_terms if settings.search_terms is not None \
            else list(brand.keywords)
        # The brand's Bluesky handles (domain names, unlike X's) count as its own too.
        self._own = {a.lower().lstrip("@") for a in
                     [*settings.own_accounts, *(h for h in brand.handles if "." in h)]}
        self._followers: dict[str, tuple[int, datetime]] = {}
        self.overlap = timedelta(seconds=settings.overlap_seconds)

    # -- poll --

    @payload_errors
    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        cursor = dict(cursor or {})
        now = self.clock.now()
        before = self.client.calls
        self.client.login()
        notes: list[str] = []
        items: dict[str, dict[str, Any]] = {}
        stopped = self._notifications(cursor, now, items, notes)
        if stopped is None and self.settings.keyword_search and self._search_due(cursor, now):
            stopped = self._search(cursor, now, items, notes)
        mentions = [m for m in (self._mention(i) for i in self._with_followers(items, notes))
                    if m is not None]
        return Poll(mentions, cursor, self.client.calls - before, notes,
                    retry_at=stopped.reset_at if isinstance(stopped, RateLimited) else None)

    def _notifications(self, cursor: dict[str, Any], now: datetime,
                       items: dict[str, dict[str, Any]], notes: list[str]) -> SourceError | None:
        """Read new notifications, then older gaps; returns the error that stopped it."""
        state = dict(cursor.get("notifications") or {})
        mark = from_iso(state["mark"]) if state.get("mark") else None
        stop = mark - self.overlap if mark else now - timedelta(hours=self.settings.backfill_hours)
        recent: dict[str, str] = dict(state.get("recent") or {})
        gaps: list[dict[str, Any]] = list(state.get("gaps") or [])
        budget = [self.settings.notification_pages]

        found, resume, error = self._walk(self._notification_page, None, stop, set(recent),
                                          budget)
        if error and not found and budget[0] == self.settings.notification_pages:
            raise error  # nothing read at all: let the pipeline pause the source
        if resume:
            gaps.insert(0, {"cursor": resume, "stop": to_iso(stop), "skip": sorted(recent)})
        for gap in list(gaps):
            if error or budget[0] <= 0:
                break
            more, resume, error = self._walk(self._notification_page, gap["cursor"],
                                             from_iso(gap["stop"]), set(gap["skip"]), budget)
            found += more
            if resume:
                gap["cursor"] = resume
            elif error is None:
                gaps.remove(gap)
        if gaps:
            notes.append(f"notifications: {len(gaps)} older stretch(es) still to read "
                         f"({'stopped by ' + str(error) if error else 'page budget spent'})")
        found = [n for n in found if n.get("reason") in REASONS]
        for item in found:
            items.setdefault(item["uri"], item)
        state.update(self._marks(mark, recent, found), gaps=gaps)
        cursor["notifications"] = state
        return error

    def _notification_page(self, api_cursor: str | None) -> Page:
        def fetch(client: Client) -> Any:
            return client.app.bsky.notification.list_notifications(
                {"limit": PAGE, "reasons": REASONS, "cursor": api_cursor})
        answer = self.client.read(f"Bluesky notifications ({self.name})", fetch)
        return [as_dict(n) for n in answer.notifications], answer.cursor

    def _walk(self, fetch: Callable[[str | None], Page], start: str | None, stop: datetime,
              skip: set[str], budget: list[int]
              ) -> tuple[list[dict[str, Any]], str | None, SourceError | None]:
        """Pages from ``start`` down to ``stop``: (items, API cursor to resume from or None
        when the stop was reached, the error that interrupted it)."""
        found: list[dict[str, Any]] = []
        api_cursor = start
        while budget[0] > 0:
            try:
                page, following = fetch(api_cursor)
            except (RateLimited, SourceUnavailable) as exc:
                return found, api_cursor, exc
            budget[0] -= 1
            for item in page:
                at = _time(item.get("indexedAt"))
                if at is not None and at < stop:
                    return found, None, None
                if item["uri"] not in skip:
                    found.append(item)
            if not following:
                return found, None, None
            api_cursor = following
        return found, api_cursor, None

    def _marks(self, mark: datetime | None, recent: dict[str, str],
               found: list[dict[str, Any]]) -> dict[str, Any]:
        """The newest time seen and the uris within the overlap of it (to skip next time)."""
        seen = {**recent, **{i["uri"]: i["indexedAt"] for i in found
                             if _time(i.get("indexedAt")) is not None}}
        times = [from_iso(t) for t in seen.values()]
        newest = max([*times, *([mark] if mark else [])], default=None)
        if newest is None:
            return {}
        keep = {u: t for u, t in seen.items() if from_iso(t) >= newest - self.overlap}
        return {"mark": newest.isoformat(), "recent": keep}

    # -- search --

    def _search_due(self, cursor: dict[str, Any], now: datetime) -> bool:
        last = cursor.get("search_at")
        return not last or (now - from_iso(last)).total_seconds() >= \
            self.settings.search_interval_seconds

    def _search(self, cursor: dict[str, Any], now: datetime, items: dict[str, dict[str, Any]],
                notes: list[str]) -> SourceError | None:
        states = dict(cursor.get("search") or {})
        for term in self.terms:
            state = dict(states.get(term) or {})
            mark = from_iso(state["mark"]) if state.get("mark") else None
            stop = mark - self.overlap if mark else \
                now - timedelta(hours=self.settings.backfill_hours)
            recent = dict(state.get("recent") or {})

            def page(api_cursor: str | None, term: str = term, stop: datetime = stop) -> Page:
                def fetch(client: Client) -> Any:
                    return client.app.bsky.feed.search_posts(
                        {"q": term, "sort": "latest", "since": to_iso(stop), "limit": PAGE,
                         "cursor": api_cursor})
                answer = self.client.read(f"Bluesky search {term!r} ({self.name})", fetch)
                return [as_dict(p) for p in answer.posts], answer.cursor

            found, resume, error = self._walk(page, None, stop, set(recent),
                                              [self.settings.search_pages])
            if resume:
                notes.append(f"search {term!r}: more than {self.settings.search_pages} page(s) "
                             "of new hits; older ones were skipped")
            for item in found:
                if matches_brand(item["record"].get("text", ""), [], [term],
                                 self.brand.exclusions):
                    items.setdefault(item["uri"], item)
            states[term] = {**state, **self._marks(mark, recent, found)}
            if error:
                notes.append(f"search {term!r} stopped: {error}")
                cursor["search"] = states
                return error
        cursor["search"] = states
        cursor["search_at"] = to_iso(now)
        return None

    # -- normalising --

    def _is_own(self, author: dict[str, Any]) -> bool:
        return (author.get("did") == self.client.did
                or str(author.get("did", "")).lower() in self._own
                or str(author.get("handle", "")).lower() in self._own)

    def _with_followers(self, items: dict[str, dict[str, Any]],
                        notes: list[str]) -> list[dict[str, Any]]:
        """Items by others, each author's ``followersCount`` added where Bluesky says it."""
        kept = [i for i in items.values()
                if not self._is_own(i["author"]) and i["record"].get("$type") == POST]
        if not self.settings.follower_lookup:
            return kept
        now = self.clock.now()
        wanted = sorted({i["author"]["did"] for i in kept} - {
            d for d, (_, at) in self._followers.items() if now - at < PROFILE_TTL})
        for start in range(0, len(wanted), 25):
            batch = wanted[start:start + 25]
            try:
                answer = self.client.read(
                    "Bluesky profiles", lambda c, b=batch: c.app.bsky.actor.get_profiles(
                        {"actors": b}))
            except SourceError as exc:
                notes.append(f"follower counts skipped: {exc}")
                break
            for profile in answer.profiles:
                self._followers[profile.did] = (profile.followers_count or 0, now)
        return [{**i, "author": {**i["author"], "followersCount":
                                 self._followers.get(i["author"]["did"], (0, now))[0]}}
                for i in kept]

    def _mention(self, item: dict[str, Any]) -> Mention | None:
        """A notification or search hit as a Mention; None when the record is unreadable."""
        record, author = item["record"], item["author"]
        text = record.get("text")
        if not isinstance(text, str):
            return None
        uri, did = str(item["uri"]), str(author["did"])
        handle = str(author.get("handle") or "")
        indexed = _time(item.get("indexedAt")) or self.clock.now()
        created = min(_time(record.get("createdAt")) or indexed, indexed)
        reply = record.get("reply") or {}
        profile = did if handle in ("", "handle.invalid") else handle
        langs = record.get("langs") or []
        engagement = {name: int(item[key]) for key, name in _ENGAGEMENT.items()
                      if isinstance(item.get(key), int)}
        return Mention(
            platform="bluesky",
            platform_id=uri,
            text=text,
            author=Author(platform_id=did, handle=handle, name=str(author.get("displayName") or ""),
                          followers=int(author.get("followersCount") or 0),
                          verified=(author.get("verification") or {}).get("verifiedStatus")
                          == "valid"),
            created_at=created,
            url=f"https://bsky.app/profile/{profile}/post/{uri.rsplit('/', 1)[-1]}",
            lang=str(langs[0]) if langs else "",
            conversation_id=str((reply.get("root") or {}).get("uri") or uri),
            in_reply_to_id=str((reply.get("parent") or {}).get("uri") or ""),
            engagement=engagement,
            raw=item,
        )


def _time(text: Any) -> datetime | None:
    """A timestamp from Bluesky; None when it is missing or unreadable (the post is kept)."""
    try:
        return from_iso(text) if isinstance(text, str) else None
    except ValueError:
        return None


_ENGAGEMENT = {"likeCount": "like_count", "repostCount": "repost_count",
               "replyCount": "reply_count", "quoteCount": "quote_count"}
