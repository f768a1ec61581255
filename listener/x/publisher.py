"""Posting approved replies on X through tweepy, exactly once.

``create_tweet(text=..., in_reply_to_tweet_id=...)`` under user-context auth
(OAuth 1.0a keys of the brand account, from the environment).

How X confirms a post: ``find_posted`` reads the brand's own timeline
(``GET /2/users/:id/tweets``, an owned read) since the post answered, for our reply
to it with the same text. Recent search would not do: it hides posts younger than
about 30 seconds, so a reply made just before a 503 or a time-out looks absent there.
After an unclear answer (5xx, time-out) the publisher confirms at once; when X then
refuses the same text as a duplicate after our own unconfirmed attempt, the reply is
taken as posted and still to be confirmed (``PublishError``: the pipeline checks
again), never as "post it by hand".

Replies X refuses by rule are refused before any request: a post that did not
summon the brand (``ReplyRequest.api_replyable``) gets a ready-made manual reply link.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import tweepy

from config.secrets import secret
from core.clock import Clock, from_iso
from core.errors import PostGone, PublishError, PublishRateLimited, PublishRefused
from core.reply import Posted, ReplyRequest
from listener.x.client import make_client, reset_at
from listener.x.length import X_LIMIT, x_length
from listener.x.settings import XSourceSettings
from listener.x.source import SANDBOX_TOKEN, is_local

log = logging.getLogger(__name__)

T = TypeVar("T")
KEYS = ("MENTIONDESK_X_CONSUMER_KEY", "MENTIONDESK_X_CONSUMER_SECRET",
        "MENTIONDESK_X_ACCESS_TOKEN", "MENTIONDESK_X_ACCESS_TOKEN_SECRET")
_URL = re.compile(r"https?://\S+")


def manual_url(in_reply_to: str, text: str) -> str:
    """X's compose link that posts ``text`` as a reply, for the agent to send by hand."""
    return f"https://x.com/intent/post?in_reply_to={in_reply_to}&text={quote(text, safe='')}"


def _same_text(a: str, b: str) -> bool:
    """Equal as X would show them: entities unescaped, URLs (t.co-wrapped) ignored."""
    def norm(text: str) -> str:
        text = unicodedata.normalize("NFC", html.unescape(text))
        return " ".join(_URL.sub("<url>", text).split())
    return norm(a) == norm(b)


class XPublisher:
    platform = "x"

    def __init__(self, settings: XSourceSettings, clock: Clock, *,
                 credentials: dict[str, str] | None = None) -> None:
        self.settings, self.clock = settings, clock
        keys = credentials or {name: _secret(name) for name in KEYS}
        if not all(keys.get(name) for name in KEYS) and is_local(settings.api_base_url):
            keys = dict.fromkeys(KEYS, SANDBOX_TOKEN)
        self._missing = [name for name in KEYS if not keys.get(name)]
        self.client = make_client(
            settings.api_base_url,
            consumer_key=keys.get(KEYS[0]), consumer_secret=keys.get(KEYS[1]),
            access_token=keys.get(KEYS[2]), access_token_secret=keys.get(KEYS[3]),
            timeout=settings.timeout_seconds,
        )
        self._me: dict[str, str] | None = None

    def publish(self, reply: ReplyRequest) -> Posted:
        if not reply.api_replyable:
            raise PublishRefused(
                "X accepts API replies only to posts that @mention or quote the brand; "
                "post the approved text by hand with the link",
                manual_url(reply.in_reply_to_id, reply.text))
        length = x_length(reply.text)
        if length > X_LIMIT:
            raise PublishRefused(f"the reply is {length} characters as X counts them "
                                 f"(URLs count 23); the limit is {X_LIMIT}: shorten it")
        if not reply.text.strip():
            raise PublishRefused("the reply is empty")
        self._check_keys()
        try:
            response = self._call(lambda: self.client.create_tweet(
                text=reply.text, in_reply_to_tweet_id=reply.in_reply_to_id, user_auth=True))
            data = response.data
            tweet_id = str(data["id"])
        except _Ambiguous as exc:
            # The post may have gone through (time-out, 5xx): look before anyone retries.
            log.warning("draft %s: %s; checking whether the reply went out", reply.draft_id, exc)
            try:
                found = self.find_posted(reply)
            except PublishError:
                found = None
            if found:
                return found
            raise PublishError(f"X did not confirm the reply: {exc}") from None
        except tweepy.Forbidden as exc:
            if "duplicate" in _msg(exc).lower():
                # Maybe our own earlier attempt that went through unconfirmed: then done.
                try:
                    found = self.find_posted(reply)
                except PublishError:
                    found = None
                if found:
                    log.info("draft %s: X already has this reply (%s)", reply.draft_id,
                             found.platform_id)
                    return found
                if reply.attempted:
                    raise PublishError(
                        "X refused the text as a duplicate of our own unconfirmed attempt: "
                        "posted, to be confirmed (checked again before any new attempt)"
                    ) from None
            raise self._refusal(reply, exc) from None
        except (TypeError, KeyError) as exc:
            raise PublishError(f"unreadable answer from X to the post: {exc!r}") from None
        log.info("draft %s posted as X reply %s", reply.draft_id, tweet_id)
        return Posted(platform_id=tweet_id, posted_at=self.clock.now(), url=self._url(tweet_id))

    def find_posted(self, reply: ReplyRequest) -> Posted | None:
        """Our reply to ``reply.in_reply_to_id`` with the same text, if X has it.

        Reads the brand's own timeline since the post answered: it shows a new post at
        once (recent search lags about 30 s) and costs owned reads.
        """
        self._check_keys()
        me = self._whoami()
        kwargs: dict[str, Any] = {
            "id": me["id"], "since_id": reply.in_reply_to_id, "max_results": 100,
            "user_auth": True, "tweet_fields": ["created_at", "referenced_tweets", "author_id"],
        }
        while True:
            try:
                response = self._call(lambda: self.client.get_users_tweets(**kwargs))
            except (_Ambiguous, tweepy.Forbidden) as exc:
                raise PublishError(f"cannot read the brand's timeline on X: {exc}") from None
            for tweet in response.data or []:
                data = tweet.data
                refs = {r.get("id") for r in data.get("referenced_tweets") or []
                        if r.get("type") == "replied_to"}
                if str(data.get("author_id", me["id"])) != me["id"]:
                    continue
                if refs and reply.in_reply_to_id not in refs:
                    continue
                if _same_text(data.get("text", ""), reply.text):
                    at = data.get("created_at")
                    posted_at = from_iso(at) if isinstance(at, str) else self.clock.now()
                    return Posted(str(tweet.id), posted_at, self._url(str(tweet.id)))
            token = (response.meta or {}).get("next_token")
            if not token:
                return None
            kwargs["pagination_token"] = token

    def gone(self, platform_ids: list[str]) -> set[str]:
        """The posts X reports not found (``GET /2/tweets?ids=``; a post read each)."""
        self._check_keys()
        try:
            response = self._call(lambda: self.client.get_tweets(
                ids=platform_ids, user_auth=True))
        except (_Ambiguous, tweepy.Forbidden) as exc:
            raise PublishError(f"cannot look the posts up on X: {exc}") from None
        return {str(error.get("resource_id") or error.get("value"))
                for error in response.errors or []
                if error.get("resource_type") == "tweet"
                and str(error.get("type", "")).endswith("resource-not-found")}

    # -- helpers --

    def _check_keys(self) -> None:
        if self._missing:
            raise PublishError("posting on X needs " + ", ".join(self._missing)
                               + " in the environment")

    def _whoami(self) -> dict[str, str]:
        if self._me is None:
            try:
                response = self._call(lambda: self.client.get_me(user_auth=True))
            except (_Ambiguous, tweepy.Forbidden) as exc:
                raise PublishError(f"cannot read the brand account from X: {exc}") from None
            if response.data is None:
                raise PublishError("X did not say which account the keys belong to")
            self._me = {"id": str(response.data.id), "username": response.data.username}
        return self._me

    def _url(self, tweet_id: str) -> str:
        try:
            return f"https://x.com/{self._whoami()['username']}/status/{tweet_id}"
        except PublishError:
            return f"https://x.com/i/web/status/{tweet_id}"

    def _call(self, fn: Callable[[], T]) -> T:
        """One tweepy call; Forbidden passes through, other failures become ours."""
        try:
            return fn()
        except tweepy.Forbidden:
            raise
        except tweepy.Unauthorized as exc:
            raise PublishError(f"X refused the posting credentials: {_msg(exc)}") from None
        except tweepy.TooManyRequests as exc:
            until = reset_at(exc, self.clock)
            raise PublishRateLimited(f"X rate limit for posting reached (resets at "
                                     f"{until:%H:%M:%S} UTC)", until) from None
        except tweepy.BadRequest as exc:
            if "deleted or is not visible" in _msg(exc):
                raise PostGone(f"X: the post answered is gone: {_msg(exc)}") from None
            raise PublishRefused(f"X refused the reply: {_msg(exc)}") from None
        except tweepy.TwitterServerError as exc:
            raise _Ambiguous(f"X answered {exc.response.status_code}") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _Ambiguous(f"no answer from X ({type(exc).__name__})") from None
        except ValueError as exc:  # an unreadable JSON body
            raise _Ambiguous(f"unreadable answer from X ({exc})") from None
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise PublishError(f"X: {type(exc).__name__}: {exc}") from None

    def _refusal(self, reply: ReplyRequest, exc: tweepy.Forbidden) -> PublishError:
        message = _msg(exc)
        low = message.lower()
        link = manual_url(reply.in_reply_to_id, reply.text)
        if "duplicate" in low:
            return PublishRefused(f"X refused a duplicate reply text: {message} Edit the text "
                                  f"or post it by hand.", link)
        if "mentioned" in low or "engaged" in low or "not allowed" in low:
            return PublishRefused(
                f"X refused an API reply: the post does not mention the brand account "
                f"({message}). Post the approved text by hand with the link.", link)
        if "authentication" in low or "oauth" in low or "permission" in low:
            return PublishError(f"X refused the posting credentials: {message}")
        return PublishRefused(f"X refused the reply: {message}", link)


class _Ambiguous(Exception):
    """Internal: the call may or may not have reached X (5xx, time-out, bad body)."""


def _msg(exc: tweepy.HTTPException) -> str:
    return "; ".join(map(str, exc.api_messages)) or str(exc.response.reason)


def _secret(name: str) -> str | None:
    value = secret(name)
    return value.get_secret_value() if value else None
