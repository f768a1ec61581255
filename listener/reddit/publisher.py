"""Approved replies posted to Reddit with praw's ``reply``, exactly once.

``ReplyRequest.in_reply_to_id`` is the mention's ``platform_id``: a fullname, ``t1_x``
(reply to a comment) or ``t3_y`` (reply to a submission); ``conversation_id`` is the
submission's fullname. ``Posted.platform_id`` is the new comment's fullname.

Exactly once: prawcore's retries are off for the write (see ``reddit_client``), so a
lost answer becomes a ``PublishError``; before the pipeline retries a draft left in
``posting`` it calls ``find_posted``, which reads the parent's direct replies (newest
first) for one by our account with the same text.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import prawcore
from praw.exceptions import ClientException
from praw.models import Comment

from core.clock import Clock
from core.errors import PublishError, PublishRefused, SourceError
from core.reply import Posted, ReplyRequest
from listener.reddit import REDDIT_LIMIT
from listener.reddit.client import RedditClient, publish_error, shared_client
from listener.reddit.settings import RedditSourceSettings

log = logging.getLogger(__name__)

THREAD_LIMIT = 500  # replies read when looking for ours (newest first)


def _split(fullname: str) -> tuple[str, str]:
    kind, _, bare = fullname.partition("_")
    if kind not in ("t1", "t3") or not bare.isalnum():
        raise PublishRefused(f"reddit: {fullname!r} is not a comment (t1_) or submission "
                             "(t3_) fullname")
    return kind, bare


def _same_text(posted: str, approved: str) -> bool:
    """Reddit keeps the Markdown but may normalise line ends and outer whitespace."""

    def norm(text: str) -> str:
        return text.replace("\r\n", "\n").strip()

    return norm(posted) == norm(approved)


class RedditPublisher:
    """A ``Publisher`` for Reddit."""

    platform = "reddit"

    def __init__(
        self, settings: RedditSourceSettings, clock: Clock, client: RedditClient | None = None,
        limit: int = REDDIT_LIMIT,
    ) -> None:
        self.settings, self.clock = settings, clock
        self.client = client or shared_client(settings, clock)
        self.limit = min(limit, REDDIT_LIMIT)

    def manual_url(self, reply: ReplyRequest) -> str | None:
        """Where the agent can post the approved text by hand."""
        try:
            kind, bare = _split(reply.in_reply_to_id)
        except PublishRefused:
            return None
        base = self.settings.reddit_url
        submission = reply.conversation_id.removeprefix("t3_")
        if kind == "t3":
            return f"{base}/comments/{bare}/"
        return f"{base}/comments/{submission}/_/{bare}/" if submission else None

    def publish(self, reply: ReplyRequest) -> Posted:
        """Post ``reply``; refuses over-long or empty text before any HTTP."""
        length = len(reply.text)
        if length > self.limit:
            raise PublishRefused(f"reddit: reply is {length:,} characters; the limit is "
                                 f"{self.limit:,}", self.manual_url(reply))
        if not reply.text.strip():
            raise PublishRefused("reddit: reply is empty")
        kind, bare = _split(reply.in_reply_to_id)
        manual = self.manual_url(reply)
        with self.client.lock:
            try:
                self.client.guard()
                reddit = self.client.reddit
                parent: Any = reddit.comment(bare) if kind == "t1" else reddit.submission(bare)
                comment = parent.reply(reply.text)
            except Exception as exc:
                raise publish_error(exc, f"reply to {reply.in_reply_to_id}", manual,
                                    self.clock) from exc
        if comment is None:
            raise PublishError("reddit: reply accepted but no comment returned; check the "
                               "thread before posting again")
        posted = self._posted(comment)
        log.info("reddit: draft %s posted as %s", reply.draft_id, posted.platform_id)
        return posted

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Our reply with the same text under the same parent, if Reddit has it.

        Raises PublishError when the thread cannot be read: "unknown" must never be
        taken for "not posted".
        """
        kind, bare = _split(reply.in_reply_to_id)
        try:
            me = self.client.me().lower()
        except SourceError as exc:
            raise PublishError(f"reddit: cannot check the thread: {exc}") from exc
        submission = reply.conversation_id.removeprefix("t3_") or (bare if kind == "t3" else "")
        try:
            replies = self.client.read(f"thread of {reply.in_reply_to_id}",
                                       lambda: self._replies(kind, bare, submission))
        except SourceError as exc:
            raise PublishError(f"reddit: cannot check the thread: {exc}") from exc
        if replies is None:
            return None
        for candidate in replies:
            data = vars(candidate)
            author = data.get("author")
            if (author is not None and author.name.lower() == me
                    and data.get("parent_id") == reply.in_reply_to_id
                    and _same_text(str(data.get("body", "")), reply.text)):
                return self._posted(candidate)
        return None

    def gone(self, platform_ids: list[str]) -> set[str]:
        """The items Reddit no longer shows, or shows deleted or removed (``/api/info``)."""
        try:
            things = self.client.read("deletion check", lambda: list(
                self.client.reddit.info(fullnames=platform_ids)))
        except SourceError as exc:
            raise PublishError(f"reddit: cannot look the posts up: {exc}") from exc
        alive = set()
        for thing in things:
            data = vars(thing)
            text = data.get("body") if isinstance(thing, Comment) else data.get("selftext")
            if text not in ("[deleted]", "[removed]") and not data.get("removed_by_category"):
                alive.add(str(data.get("name")))
        return set(platform_ids) - alive

    def _replies(self, kind: str, bare: str, submission: str) -> list[Any] | None:
        """The parent's direct replies, newest first; None when the parent is gone."""
        reddit = self.client.reddit
        if not submission:  # a comment without its thread id: ask Reddit which thread
            comment = reddit.comment(bare)
            submission = str(comment.link_id).removeprefix("t3_")
        try:
            if kind == "t3":
                post = reddit.submission(submission)
                post.comment_sort, post.comment_limit = "new", THREAD_LIMIT
                forest = list(post.comments)
            else:
                comment = reddit.comment(bare)
                comment.submission = reddit.submission(submission)
                comment.reply_sort, comment.reply_limit = "new", THREAD_LIMIT
                comment.refresh()
                forest = list(comment.replies)
        except (prawcore.NotFound, ClientException):  # the parent is gone
            return None
        return [c for c in forest if isinstance(c, Comment)]

    def _posted(self, comment: Any) -> Posted:
        data = vars(comment)
        created = float(data.get("created_utc") or self.clock.now().timestamp())
        permalink = str(data.get("permalink") or "")
        return Posted(
            platform_id=str(data["name"]),
            posted_at=datetime.fromtimestamp(created, UTC),
            url=f"{self.settings.reddit_url}{permalink}" if permalink else "",
        )
