"""Reddit mentions through praw: subreddit search, newest comments, username mentions.

Reddit's search covers submissions only, so comments are read from the subreddits'
newest-comments listing (one page per run by default, never a stream that sleeps) and
filtered here by the brand's terms. Mentions of the brand account come from the
inbox (``inbox.mentions``).

Ids: every Reddit id in a ``Mention`` is a *fullname* (``t1_`` comment, ``t3_``
submission), because comment and submission ids share one base36 space. So
``platform_id``, ``conversation_id`` (the submission) and ``in_reply_to_id`` (the
parent) are fullnames, and the publisher takes them as they are.

Cursor, per listing (``search``, ``comments``, ``mentions``)::

    {"newest": "t3_abc", "created_utc": 1763892000.0, "recent": {"t3_abc": 1763892000.0}}

Listings are newest first. A poll reads pages until it meets an item older than the
cursor's time less ``overlap_seconds`` (search indexes posts late, so the window is
re-read), and drops items already in ``recent``. So nothing is fetched twice and a
late-indexed post is still caught. The pipeline stores mentions and cursor together.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from praw.models import Comment, Submission

from config.settings import BrandSettings
from core.clock import Clock
from core.errors import AuthError, RateLimited, SourceError
from core.mention import Author, Mention
from listener.base import Poll, payload_errors
from listener.filters import is_own_post, matches_brand, mentions_term
from listener.reddit.client import RedditClient, shared_client
from listener.reddit.settings import RedditSourceSettings

log = logging.getLogger(__name__)

PAGE = 100  # Reddit's page size limit
RECENT_CAP = 2000  # fullnames kept per listing cursor
KARMA_TTL = timedelta(hours=6)
KARMA_CACHE_SIZE = 5000  # authors remembered; the least recently seen go first
_GONE = {"[deleted]", "[removed]"}
_JSON_SCALARS = (str, int, float, bool, type(None), list, dict)


@dataclass
class _Read:
    """One listing's haul: new items, the cursor to save, and anything worth a log line."""

    items: list[Any]
    cursor: dict[str, Any] | None
    notes: list[str]


def _created(thing: Any) -> float | None:
    """When the item was made, or None when Reddit left it out or sent nonsense."""
    try:
        value = float(vars(thing)["created_utc"])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _fields(thing: Any) -> dict[str, Any]:
    """The item's Reddit fields, JSON-safe, read without triggering praw's lazy fetch."""
    out: dict[str, Any] = {}
    for key, value in vars(thing).items():
        if key.startswith("_") or key in ("comment_limit", "comment_sort"):
            continue
        if key == "author":
            value = value.name if value is not None else "[deleted]"
        elif not isinstance(value, _JSON_SCALARS) or key == "subreddit":
            value = str(value)
        out[key] = value
    return out


class RedditSource:
    """A ``MentionSource`` for one brand on Reddit."""

    platform = "reddit"

    def __init__(
        self, settings: RedditSourceSettings, brand: BrandSettings, clock: Clock,
        client: RedditClient | None = None,
    ) -> None:
        self.name = settings.name
        self.settings, self.brand, self.clock = settings, brand, clock
        self.client = client or shared_client(settings, clock)
        self._karma: OrderedDict[str, tuple[int, datetime]] = OrderedDict()  # LRU

    # --- the poll ----------------------------------------------------------------
    @payload_errors
    def poll(self, cursor: dict[str, Any] | None) -> Poll:
        """Everything new since ``cursor``; raises only SourceError subclasses."""
        s = self.settings
        cursor = dict(cursor or {})
        calls = self.client.calls
        me = self.client.me() if self.client.credentials.user_mode else ""
        own = [a for a in (me, *s.own_accounts, *self.brand.handles) if a]
        terms = self._terms(me)
        exclusions = self.brand.exclusions if s.exclusions is None else s.exclusions
        subs = "+".join(s.subreddits)
        brand_subs = [b for b in s.brand_subreddits if b.lower() not in
                      {x.lower() for x in s.subreddits}]
        comment_subs = subs if "all" in s.subreddits else "+".join([*s.subreddits, *brand_subs])
        reddit = self.client.reddit

        listings: list[tuple[str, int, Any]] = []
        keywords = [t for t in terms if not t.lower().startswith(("u/", "/u/"))]
        if s.search_submissions and keywords:
            query = " OR ".join(f'"{t}"' for t in keywords)
            listings.append(("search", s.search_pages, lambda params: reddit.subreddit(
                subs).search(query, sort="new", time_filter="all", limit=PAGE, params=params)))
        if s.brand_subreddits:
            community = "+".join(s.brand_subreddits)
            listings.append(("new", s.search_pages, lambda params: reddit.subreddit(
                community).new(limit=PAGE, params=params)))
        if s.subreddit_comments:
            listings.append(("comments", s.comment_pages, lambda params: reddit.subreddit(
                comment_subs).comments(limit=PAGE, params=params)))
        if s.username_mentions:
            if not me:
                raise self._auth_needed()
            listings.append(("mentions", s.mention_pages, lambda params: reddit.inbox.mentions(
                limit=PAGE, params=params)))

        # Each listing has its own cursor: a rate limit part-way keeps the listings read
        # in full (their items and cursors) and leaves the others for the next poll.
        reads: dict[str, _Read] = {}
        limited: RateLimited | None = None
        for listing, pages, page_of in listings:
            try:
                reads[listing] = self._read(listing, pages, cursor.get(listing), page_of)
            except RateLimited as exc:
                if not reads:
                    raise
                limited = exc
                break

        notes: list[str] = []
        if limited:
            notes.append(f"rate limited after {', '.join(reads)}; the other listings wait "
                         f"until {limited.reset_at:%H:%M:%S}Z")
        kept: dict[str, tuple[Any, str]] = {}
        dropped = {"own": 0, "gone": 0, "no match": 0, "unreadable": 0}
        for listing, read in reads.items():
            notes.extend(read.notes)
            if read.cursor is not None:
                cursor[listing] = read.cursor
            for thing in read.items:
                fullname = str(vars(thing).get("name", ""))
                if fullname in kept:
                    continue
                reason = self._drop_reason(thing, listing, own, terms, exclusions)
                if reason:
                    dropped[reason] += 1
                    continue
                kept[fullname] = (thing, listing)

        karma = self._karma_of([vars(t).get("author_fullname") for t, _ in kept.values()],
                               notes)
        known = karma if self.settings.karma_lookup else None
        mentions = []
        for fullname, (thing, listing) in kept.items():
            try:
                mentions.append(self._mention(thing, listing, karma, known))
            except (KeyError, TypeError, ValueError) as exc:
                dropped["unreadable"] += 1
                notes.append(f"{fullname}: skipped, unreadable item ({exc!r})")
        mentions.sort(key=lambda m: m.created_at)
        log.debug("reddit %s: %d mentions, dropped %s", self.name, len(mentions), dropped)
        cursor["v"] = 1
        return Poll(mentions=mentions, cursor=cursor, requests=self.client.calls - calls,
                    notes=notes, retry_at=limited.reset_at if limited else None)

    def _terms(self, me: str) -> list[str]:
        s = self.settings
        if s.terms is not None:
            return list(s.terms)
        accounts = dict.fromkeys(a.lstrip("@") for a in (me, *self.brand.handles) if a)
        return [*self.brand.keywords, *(f"u/{a}" for a in accounts)]

    def _auth_needed(self) -> SourceError:
        return AuthError("reddit: username_mentions needs MENTIONDESK_REDDIT_USERNAME and "
                         "MENTIONDESK_REDDIT_PASSWORD (or set username_mentions = false)")

    # --- one listing -------------------------------------------------------------
    def _read(self, listing: str, pages: int, state: dict[str, Any] | None, page_of: Any) -> _Read:
        """Read newest-first pages down to the cursor (less the overlap window)."""
        overlap = self.settings.overlap_seconds
        if state:
            floor = float(state["created_utc"]) - overlap
            recent: dict[str, float] = dict(state.get("recent", {}))
        else:
            max_age = timedelta(hours=self.settings.first_poll_max_age_hours)
            floor = (self.clock.now() - max_age).timestamp()
            recent = {}
        fetched: list[tuple[Any, float]] = []
        unreadable = 0
        after: str | None = None
        reached = False  # read down to the overlap floor, or to the listing's end
        # What the cursor stands for is the newest item already read: reaching it means
        # nothing older was missed, even when the overlap window was not read in full.
        met_cursor = False
        for _ in range(pages):
            params = {"after": after} if after else {}
            page = self.client.read(f"{listing} listing", lambda p=params: list(page_of(p)))
            for thing in page:
                created = _created(thing)
                if created is None or not vars(thing).get("name"):
                    unreadable += 1  # skipped, and never the reason the cursor sticks
                    continue
                if state and created <= float(state["created_utc"]):
                    met_cursor = True
                if created < floor:
                    reached = True
                    break
                fetched.append((thing, created))
            if reached or len(page) < PAGE:
                reached = True
                break
            after = str(vars(page[-1]).get("name") or "")
            if not after:
                break
        notes = []
        if unreadable:
            notes.append(f"{listing}: {unreadable} item(s) without a name or creation time "
                         "skipped")
        if state and not reached and not met_cursor:
            notes.append(f"{listing}: {pages} page(s) did not reach the cursor; older items "
                         f"may be missed (raise {listing.rstrip('s')}_pages or poll more often)")
        new = [t for t, _ in fetched if str(vars(t)["name"]) not in recent]
        for thing, created in fetched:
            recent[str(vars(thing)["name"])] = created
        if not recent:  # nothing yet: remember how far down this listing was read
            return _Read(new, dict(state) if state else {
                "newest": "", "created_utc": floor, "recent": {}}, notes)
        newest_name, newest = max(recent.items(), key=lambda kv: kv[1])
        if state and float(state["created_utc"]) >= newest:
            newest_name, newest = str(state["newest"]), float(state["created_utc"])
        keep = sorted(((n, c) for n, c in recent.items() if c >= newest - overlap),
                      key=lambda kv: kv[1], reverse=True)[:RECENT_CAP]
        return _Read(new, {"newest": newest_name, "created_utc": newest, "recent": dict(keep)},
                     notes)

    # --- filtering and normalising -----------------------------------------------
    def _drop_reason(
        self, thing: Any, listing: str, own: list[str], terms: list[str], exclusions: list[str]
    ) -> str:
        data = vars(thing)
        author = data.get("author")
        if author is not None and own and is_own_post(author.name, own):
            return "own"
        if isinstance(thing, Submission):
            if data.get("removed_by_category") or data.get("selftext") in _GONE:
                return "gone"
            text = f"{data.get('title', '')}\n{data.get('selftext', '')}"
        else:
            if data.get("body") in _GONE:
                return "gone"
            text = str(data.get("body", ""))
        if any(mentions_term(text, e) for e in exclusions):
            return "no match"
        community = {b.lower() for b in self.settings.brand_subreddits}
        if listing in ("mentions", "new") or str(data.get("subreddit", "")).lower() in community:
            return ""  # addressed to the brand, or posted in its own community
        if matches_brand(text, [], terms, exclusions):
            return ""
        title = str(data.get("link_title", ""))
        if (self.settings.thread_title_match and listing == "comments"
                and matches_brand(title, [], terms, exclusions)):
            return ""  # a reply in a thread about the brand
        return "no match"

    def _karma_of(self, fullnames: list[Any], notes: list[str]) -> dict[str, int]:
        """Author karma (reach) by t2_ fullname, from one bulk call, cached a few hours."""
        wanted = {f for f in fullnames if isinstance(f, str) and f.startswith("t2_")}
        if not self.settings.karma_lookup or not wanted:
            return {}
        now = self.clock.now()
        missing = [f for f in wanted if f not in self._karma or now - self._karma[f][1] > KARMA_TTL]
        if missing:
            reddit = self.client.reddit
            try:
                users = self.client.read("author karma", lambda: list(
                    reddit.redditors.partial_redditors(missing)))
            except SourceError as exc:
                notes.append(f"author karma unavailable: {exc}")
                users = []
            for user in users:
                data = vars(user)
                total = int(data.get("link_karma") or 0) + int(data.get("comment_karma") or 0)
                self._karma[str(data.get("fullname", ""))] = (total, now)
        for fullname in wanted & self._karma.keys():
            self._karma.move_to_end(fullname)
        while len(self._karma) > KARMA_CACHE_SIZE:
            self._karma.popitem(last=False)  # the least recently wanted author
        return {f: self._karma[f][0] for f in wanted if f in self._karma}

    def _mention(self, thing: Any, listing: str, karma: dict[str, int],
                 known: dict[str, int] | None) -> Mention:
        """``known``: the karma figures this poll could read (None: karma is not looked
        up); an author missing from it keeps the karma stored earlier."""
        data = _fields(thing)
        fullname = str(data["name"])
        created = datetime.fromtimestamp(float(data["created_utc"]), UTC)
        author_fullname = data.get("author_fullname") or ""
        author = Author(platform_id=str(author_fullname), handle=str(data["author"]),
                        followers=karma.get(str(author_fullname), 0),
                        followers_known=known is None or str(author_fullname) in known)
        if isinstance(thing, Submission):
            text = str(data.get("title", ""))
            if data.get("selftext"):
                text += "\n\n" + str(data["selftext"])
            conversation, parent = fullname, ""
            engagement = {"score": int(data.get("score") or 0),
                          "comments": int(data.get("num_comments") or 0)}
            permalink = str(data.get("permalink", ""))
        else:
            assert isinstance(thing, Comment)
            text = str(data["body"])
            parent = str(data.get("parent_id", ""))
            context = str(data.get("context", ""))
            link_id = data.get("link_id") or (
                f"t3_{context.split('/')[4]}" if context.count("/") > 4 else "")
            conversation = str(link_id)
            engagement = {"score": int(data.get("score") or 0)}
            permalink = str(data.get("permalink") or context.split("?", 1)[0])
        data.update({"kind": fullname[:2], "listing": listing})
        return Mention(
            platform="reddit",
            platform_id=fullname,
            text=text,
            author=author,
            created_at=created,
            url=f"{self.settings.reddit_url}{permalink}" if permalink else "",
            conversation_id=conversation,
            in_reply_to_id=parent,
            engagement=engagement,
            raw=data,
            api_replyable=not (data.get("locked") or data.get("archived")),
        )
