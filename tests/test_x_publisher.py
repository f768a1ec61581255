"""The X publisher: real tweepy posting to the sandbox; refusals, the 280 rule, find_posted."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from core.errors import PublishError, PublishRefused
from core.reply import ReplyRequest
from sandbox.x_api import XSandbox
from tests.x_support import make_publisher, make_source


@pytest.fixture
def sandbox(clock):
    with XSandbox(brand_handle="lumora", clock=clock) as sb:
        yield sb


def _request(tweet_id: str, text: str, draft_id: int = 1) -> ReplyRequest:
    return ReplyRequest(draft_id=draft_id, platform="x", in_reply_to_id=tweet_id,
                        conversation_id=tweet_id, text=text)


def test_publish_posts_a_reply_that_later_searches_see(sandbox, clock):
    target = sandbox.add_tweet("@lumora my lamp flickers",
                               "ann", created_at=clock.now() - timedelta(minutes=5))
    publisher = make_publisher(sandbox, clock)
    posted = publisher.publish(_request(target, "Hi @ann, sorry! Please DM us. ^Mia"))
    reply = sandbox.tweets[int(posted.platform_id)]
    assert reply["text"] == "Hi @ann, sorry! Please DM us. ^Mia"
    assert reply["referenced_tweets"] == [{"type": "replied_to", "id": target}]
    assert reply["author_id"] == sandbox.brand
    assert posted.url == f"https://x.com/lumora/status/{posted.platform_id}"
    assert posted.posted_at == clock.now()
    post = next(r for r in sandbox.requests if r.method == "POST")
    assert post.auth == "oauth1"  # user context, signed by tweepy
    # Our own reply is visible to search but never becomes a mention.
    poll = make_source(sandbox, clock).poll(None)
    assert [m.platform_id for m in poll.mentions] == [target]


def test_over_280_is_refused_before_any_http(sandbox, clock):
    publisher = make_publisher(sandbox, clock)
    with pytest.raises(PublishRefused, match="280"):
        publisher.publish(_request("1", "é" * 281))
    with pytest.raises(PublishRefused, match="280"):
        publisher.publish(_request("1", "漢" * 141))  # CJK weighs 2
    assert sandbox.requests == []
    # A long URL still counts 23: this one goes out.
    target = sandbox.add_tweet("@lumora link please", "ann")
    posted = publisher.publish(_request(target, "x" * 250 + " https://example.com/" + "y" * 300))
    assert posted.platform_id


def test_policy_refusal_gives_a_manual_link(sandbox, clock):
    sandbox.refuse_unmentioned_replies = True
    target = sandbox.add_tweet("the Lumora app keeps logging me out", "bob")
    publisher = make_publisher(sandbox, clock)
    text = "Hi @bob, sorry! Try updating the app & signing in again. ^Mia"
    with pytest.raises(PublishRefused) as caught:
        publisher.publish(_request(target, text))
    assert "does not mention the brand" in str(caught.value)
    url = urlsplit(caught.value.manual_url)
    assert (url.scheme, url.netloc, url.path) == ("https", "x.com", "/intent/post")
    assert parse_qs(url.query) == {"in_reply_to": [target], "text": [text]}
    # A post that @mentions the brand is accepted.
    mentioned = sandbox.add_tweet("@lumora app logs me out", "bob")
    assert publisher.publish(_request(mentioned, text)).platform_id


def test_duplicate_text_is_refused(sandbox, clock):
    a = sandbox.add_tweet("@lumora one", "ann")
    b = sandbox.add_tweet("@lumora two", "bob")
    publisher = make_publisher(sandbox, clock)
    publisher.publish(_request(a, "Thanks, we're on it!"))
    with pytest.raises(PublishRefused, match="duplicate") as caught:
        publisher.publish(_request(b, "Thanks, we're on it!"))
    assert caught.value.manual_url and f"in_reply_to={b}" in caught.value.manual_url


def test_find_posted_finds_our_reply_and_only_ours(sandbox, clock):
    target = sandbox.add_tweet("@lumora where is my parcel?", "ann")
    publisher = make_publisher(sandbox, clock)
    request = _request(target, "Hi @ann, checking now & back soon. https://help.example/a")
    assert publisher.find_posted(request) is None
    sandbox.add_tweet(request.text, "mallory", in_reply_to=target)  # same text, not ours
    assert publisher.find_posted(request) is None
    posted = publisher.publish(request)
    clock.advance(30)
    found = publisher.find_posted(request)
    assert found is not None and found.platform_id == posted.platform_id
    assert found.posted_at == posted.posted_at.replace(microsecond=0)
    assert publisher.find_posted(_request(target, "another text")) is None


def test_server_error_on_post_checks_before_reporting(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock)
    sandbox.fail_next(503, path="/2/tweets")
    with pytest.raises(PublishError) as caught:
        publisher.publish(_request(target, "We're on it"))
    assert not isinstance(caught.value, PublishRefused)
    assert sandbox.count("/2/tweets/search/recent") == 1  # looked before giving up


def test_retry_after_an_unconfirmed_post_is_not_a_second_post(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock)
    first = publisher.publish(_request(target, "On it, Ann!"))
    # The pipeline lost the answer and retries: X says duplicate, the reply is ours.
    again = publisher.publish(_request(target, "On it, Ann!"))
    assert again.platform_id == first.platform_id
    assert len(sandbox.posts_by("lumora")) == 1
