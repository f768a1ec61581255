"""Approved replies posted to Bluesky as threaded posts, exactly once.

``ReplyRequest.in_reply_to_id`` is the mention's at:// uri. A reply record needs strong
references (uri and cid) to the post answered (``parent``) and to its thread's first post
(``root``): both come from ``app.bsky.feed.getPosts`` on the parent just before posting,
which also tells a deleted post or a thread whose author does not allow our reply.
@handles and links in the text get facets, so they are clickable.

Exactly once: Bluesky does not refuse a repeated text, so nothing on its side stops a
double post. The write is never retried blindly (``BlueskyClient.write``); when its
outcome is unknown, or before the pipeline retries a draft left in ``posting``,
``find_posted`` reads the account's own newest post records straight from its PDS
(``com.atproto.repo.listRecords``), which shows a post the moment it is written,
unlike the AppView's feeds and search, which index it a little later.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from atproto import Client, models

from core.clock import Clock, from_iso
from core.errors import PostGone, PublishError, PublishRefused, RateLimited, SourceError
from core.reply import Posted, ReplyRequest
from listener.bluesky.client import AmbiguousWrite, BlueskyClient, Refused, as_dict, shared_client
from listener.bluesky.length import BLUESKY_LIMIT, MAX_BYTES, bluesky_length, graphemes
from listener.bluesky.settings import BlueskySourceSettings

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"


def web_url(uri: str, handle: str = "") -> str:
    """The bsky.app link of an at://did/app.bsky.feed.post/rkey uri."""
    did, _, rkey = uri.removeprefix("at://").partition(f"/{POST}/")
    return f"https://bsky.app/profile/{handle or did}/post/{rkey}"


def _same_text(posted: str, approved: str) -> bool:
    def norm(text: str) -> str:
        return unicodedata.normalize("NFC", text).strip()
    return norm(posted) == norm(approved)


class BlueskyPublisher:
    platform = "bluesky"

    def __init__(self, settings: BlueskySourceSettings, clock: Clock,
                 client: BlueskyClient | None = None) -> None:
        self.settings, self.clock = settings, clock
        self.client = client or shared_client(settings, clock)

    def publish(self, reply: ReplyRequest) -> Posted:
        manual = web_url(reply.in_reply_to_id) if reply.in_reply_to_id.startswith("at://") \
            else None
        if not reply.text.strip():
            raise PublishRefused("bluesky: the reply is empty")
        if bluesky_length(reply.text) > BLUESKY_LIMIT:
            raise PublishRefused(
                f"bluesky: the reply is {graphemes(reply.text)} graphemes and "
                f"{len(reply.text.encode('utf-8'))} bytes; Bluesky takes at most "
                f"{BLUESKY_LIMIT} graphemes and {MAX_BYTES} bytes: shorten it", manual)
        if manual is None:
            raise PublishRefused(f"bluesky: {reply.in_reply_to_id!r} is not an at:// post uri")
        parent = self._post(reply.in_reply_to_id)
        if parent is None:
            raise PostGone("bluesky: the post answered was deleted")
        if (parent.get("viewer") or {}).get("replyDisabled"):
            raise PublishRefused("bluesky: the author's thread settings do not allow our reply; "
                                 "answer another way (a mention or a DM)", manual)
        parent_ref = {"uri": parent["uri"], "cid": parent["cid"]}
        root_ref = (parent["record"].get("reply") or {}).get("root") or parent_ref
        ref = models.AppBskyFeedPost.ReplyRef(
            root=models.ComAtprotoRepoStrongRef.Main(uri=root_ref["uri"], cid=root_ref["cid"]),
            parent=models.ComAtprotoRepoStrongRef.Main(**parent_ref))
        facets = self._read("links and mentions in the reply",
                            lambda c: c.detect_facets(reply.text))
        try:
            created = self.client.write(
                f"reply to {reply.in_reply_to_id}",
                lambda c: c.send_post(reply.text, profile_identify=self.client.did,
                                      reply_to=ref, facets=facets or None))
        except AmbiguousWrite as exc:
            log.warning("draft %s: %s; checking whether the reply went out", reply.draft_id, exc)
            found = self.find_posted(reply)
            if found:
                return found
            raise PublishError(f"bluesky: the reply was not confirmed ({exc}); it is not "
                               "among our posts, so it will be tried again") from None
        except RateLimited as exc:
            raise PublishError(f"bluesky: posting is rate limited until "
                               f"{exc.reset_at:%H:%M:%S} UTC") from None
        except Refused as exc:
            raise PublishRefused(f"bluesky refused the reply: {exc}", manual) from None
        except SourceError as exc:
            raise PublishError(f"bluesky: {exc}") from None
        log.info("draft %s posted as Bluesky reply %s", reply.draft_id, created.uri)
        return Posted(platform_id=created.uri, posted_at=self.clock.now(),
                      url=web_url(created.uri, self.client.handle))

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Our post answering ``reply.in_reply_to_id`` with the same text, if the account
        has it among its newest ``confirm_records`` posts. Raises PublishError when they
        cannot be read: "unknown" is never taken for "not posted"."""
        api_cursor: str | None = None
        read = 0
        while read < self.settings.confirm_records:
            size = min(100, self.settings.confirm_records - read)

            def fetch(client: Client, after: str | None = api_cursor, size: int = size) -> Any:
                return client.com.atproto.repo.list_records(
                    {"repo": self.client.did, "collection": POST, "limit": size,
                     "cursor": after})
            answer = self._read("our newest posts", fetch)
            for record in answer.records:
                value = as_dict(record.value)
                parent = ((value.get("reply") or {}).get("parent") or {}).get("uri")
                if parent == reply.in_reply_to_id and _same_text(str(value.get("text", "")),
                                                                 reply.text):
                    try:
                        at = from_iso(str(value["createdAt"]))
                    except (KeyError, ValueError):
                        at = self.clock.now()
                    log.info("draft %s: found our reply %s", reply.draft_id, record.uri)
                    return Posted(record.uri, at, web_url(record.uri, self.client.handle))
            read += len(answer.records)
            api_cursor = answer.cursor
            if not api_cursor or not answer.records:
                return None
        return None

    def gone(self, platform_ids: list[str]) -> set[str]:
        """The posts Bluesky no longer shows (``app.bsky.feed.getPosts`` omits a deleted
        post, and one whose account was deactivated or taken down), 25 a call."""
        uris = [u for u in platform_ids if u.startswith("at://")]
        shown: set[str] = set()
        for start in range(0, len(uris), 25):
            batch = uris[start:start + 25]
            answer = self._read("posts, to see which were deleted",
                                lambda c, b=batch: c.get_posts(b))
            shown |= {p.uri for p in answer.posts}
        return set(uris) - shown

    # -- helpers --

    def _post(self, uri: str) -> dict[str, Any] | None:
        answer = self._read("the post answered", lambda c: c.get_posts([uri]))
        return next((as_dict(p) for p in answer.posts if p.uri == uri), None)

    def _read(self, what: str, fn: Any) -> Any:
        """A read for posting: our errors become PublishError (the draft is retried)."""
        try:
            return self.client.read(f"bluesky: reading {what}", fn)
        except SourceError as exc:
            raise PublishError(str(exc)) from None
