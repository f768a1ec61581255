"""The Reddit publisher: praw's ``reply`` against the local sandbox, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.clock import ManualClock
from core.errors import PublishError, PublishRefused
from core.reply import ReplyRequest
from tests.support.reddit import SBX, make_publisher, sandbox

REPLY_PATH = "/api/comment"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


def thread(sbx):
    post = sbx.add_submission("gadgets", "Lumora hub offline", "since 3am", "ann")
    comment = sbx.add_comment(post["name"], "Lumora support, help?", "bo")
    return post, comment


def request(parent: str, post: str, text: str = "Sorry about that! DM us your order number.",
            draft: int = 7) -> ReplyRequest:
    return ReplyRequest(draft_id=draft, platform="reddit", in_reply_to_id=parent,
                        conversation_id=post, text=text)


def test_a_reply_to_a_comment_is_posted_and_visible(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        posted = make_publisher(sbx, clock).publish(request(comment["name"], post["name"]))
        ours = sbx.comments_by(SBX.username)
    assert len(ours) == 1 and posted.platform_id == ours[0]["name"]
    assert posted.platform_id.startswith("t1_")
    assert ours[0]["parent_id"] == comment["name"] and ours[0]["link_id"] == post["name"]
    assert posted.posted_at == clock.now()
    assert posted.url == f"{sbx.url}{ours[0]['permalink']}"


def test_a_reply_to_a_submission(clock):
    with sandbox(clock) as sbx:
        post, _ = thread(sbx)
        posted = make_publisher(sbx, clock).publish(request(post["name"], post["name"]))
        assert sbx.thing(posted.platform_id)["parent_id"] == post["name"]


@pytest.mark.parametrize("parent_is_comment", [True, False])
def test_a_reply_is_posted_once_across_a_crash(clock, parent_is_comment):
    """Reddit stores the reply, the answer is lost (502), the draft stays in ``posting``;
    after the restart find_posted sees the reply, so nothing is posted again."""
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        parent = comment["name"] if parent_is_comment else post["name"]
        reply = request(parent, post["name"])
        sbx.fail_next(502, path=REPLY_PATH, method="POST", commit=True)
        with pytest.raises(PublishError) as caught:
            make_publisher(sbx, clock).publish(reply)
        assert not isinstance(caught.value, PublishRefused)
        assert sbx.count("POST", REPLY_PATH) == 1  # prawcore did not retry the write

        restarted = make_publisher(sbx, clock)  # a new process, a new praw
        found = restarted.find_posted(reply)
        assert found is not None
        assert found.platform_id == sbx.comments_by(SBX.username)[0]["name"]
        assert sbx.count("POST", REPLY_PATH) == 1
        assert len(sbx.comments_by(SBX.username)) == 1


def test_find_posted_is_none_until_posted_and_ignores_other_text_and_authors(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        reply = request(comment["name"], post["name"])
        publisher = make_publisher(sbx, clock)
        assert publisher.find_posted(reply) is None
        sbx.add_comment(comment["name"], reply.text, "copycat")  # same text, other author
        publisher.publish(request(comment["name"], post["name"], text="a different reply"))
        assert publisher.find_posted(reply) is None
        posted = publisher.publish(reply)
        assert publisher.find_posted(reply) == posted


def test_find_posted_raises_when_the_thread_cannot_be_read(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        publisher = make_publisher(sbx, clock)
        publisher.find_posted(request(comment["name"], post["name"]))  # logged in
        sbx.fail_next(429, path="/comments")
        with pytest.raises(PublishError):
            publisher.find_posted(request(comment["name"], post["name"]))


def test_over_10000_characters_is_refused_before_any_http(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        publisher = make_publisher(sbx, clock)
        with pytest.raises(PublishRefused) as caught:
            publisher.publish(request(comment["name"], post["name"], text="é" * 10_001))
        assert "10,001" in str(caught.value) and caught.value.manual_url
        assert sbx.requests == []
        posted = publisher.publish(request(comment["name"], post["name"], text="é" * 10_000))
        assert len(sbx.thing(posted.platform_id)["body"]) == 10_000


def test_a_hostile_reply_text_is_posted_and_found_verbatim(clock):
    text = "Hi <script>alert(1)</script> &amp; \u200b\u202eevil\u202c \U0001f4a1\r\n**bold**"
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        reply = request(comment["name"], post["name"], text=text)
        publisher = make_publisher(sbx, clock)
        posted = publisher.publish(reply)
        assert sbx.thing(posted.platform_id)["body"] == text
        assert make_publisher(sbx, clock).find_posted(reply) == posted


def test_reddit_refusals_are_for_good_and_rate_limits_are_retryable(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        publisher = make_publisher(sbx, clock)
        sbx.lock(post["name"])
        with pytest.raises(PublishRefused, match="THREAD_LOCKED"):
            publisher.publish(request(comment["name"], post["name"]))
        sbx.lock(post["name"], locked=False)
        sbx.fail_next(200, path=REPLY_PATH, body={"json": {"errors": [
            ["RATELIMIT", "Looks like you've been doing that a lot. Take a break for 9 "
             "minutes before trying again.", "ratelimit"]]}})
        with pytest.raises(PublishError) as caught:
            publisher.publish(request(comment["name"], post["name"]))  # no 9-minute sleep
        assert not isinstance(caught.value, PublishRefused)
        sbx.purge(comment["name"])
        with pytest.raises(PublishRefused, match="DELETED_COMMENT"):
            publisher.publish(request(comment["name"], post["name"]))


def test_an_id_that_is_not_a_fullname_is_refused(clock):
    with sandbox(clock) as sbx:
        post, comment = thread(sbx)
        with pytest.raises(PublishRefused, match="fullname"):
            make_publisher(sbx, clock).publish(request(comment["id"], post["name"]))
        assert sbx.requests == []
