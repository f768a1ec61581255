"""The X publisher: real tweepy posting to the sandbox; refusals, the 280 rule, find_posted."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from core.errors import PublishError, PublishRefused
from core.reply import ReplyRequest
from sandbox.x_api import XSandbox
from tests.support.x import make_publisher, make_source


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
    assert sandbox.count("/2/users/") >= 1  # looked at the brand's timeline before giving up


def test_retry_after_an_unconfirmed_post_is_not_a_second_post(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock)
    first = publisher.publish(_request(target, "On it, Ann!"))
    # The pipeline lost the answer and retries: X says duplicate, the reply is ours.
    again = publisher.publish(_request(target, "On it, Ann!"))
    assert again.platform_id == first.platform_id
    assert len(sandbox.posts_by("lumora")) == 1


def test_a_503_after_x_made_the_post_is_confirmed_at_once(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock)
    sandbox.fail_next(503, path="/2/tweets", commit=True)  # posted, but the answer is 503
    posted = publisher.publish(_request(target, "On it, Ann!"))
    assert [t["id"] for t in sandbox.posts_by("lumora")] == [posted.platform_id]
    assert sandbox.count("/2/tweets/search/recent") == 0  # search would not show it yet


def test_a_time_out_after_x_made_the_post_is_confirmed(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock, timeout_seconds=0.3)
    sandbox.slow_next(0.6, path="/2/tweets", commit=True)
    posted = publisher.publish(_request(target, "On it, Ann!"))
    assert [t["id"] for t in sandbox.posts_by("lumora")] == [posted.platform_id]


def test_duplicate_after_our_unconfirmed_attempt_is_posted_to_be_confirmed(sandbox, clock):
    target = sandbox.add_tweet("@lumora help", "ann")
    publisher = make_publisher(sandbox, clock)
    publisher.publish(_request(target, "On it, Ann!"))  # went out; the answer was lost
    sandbox.fail_next(503, path="/2/users/")  # and the timeline cannot be read right now
    retry = ReplyRequest(draft_id=1, platform="x", in_reply_to_id=target,
                         conversation_id=target, text="On it, Ann!", attempted=True)
    with pytest.raises(PublishError, match="to be confirmed") as caught:
        publisher.publish(retry)
    assert not isinstance(caught.value, PublishRefused)  # never "post it by hand"
    assert publisher.find_posted(retry) is not None  # the next check confirms it
    assert len(sandbox.posts_by("lumora")) == 1


def test_a_post_that_did_not_summon_the_brand_gets_a_manual_link_without_a_request(
        sandbox, clock):
    target = sandbox.add_tweet("Lumora lamps are so dim", "bob")
    publisher = make_publisher(sandbox, clock)
    request = ReplyRequest(draft_id=1, platform="x", in_reply_to_id=target,
                           conversation_id=target, text="Hi @bob, try the boost mode!",
                           api_replyable=False)
    with pytest.raises(PublishRefused, match="by hand") as caught:
        publisher.publish(request)
    assert caught.value.manual_url.startswith("https://x.com/intent/post?in_reply_to=")
    assert sandbox.requests == []


def test_a_quote_of_a_brand_post_summons_the_brand(sandbox, clock):
    ours = sandbox.add_tweet("New lamp out today", "lumora")
    quote = sandbox.add_tweet("mine broke already", "cat", quotes=ours)
    posted = make_publisher(sandbox, clock).publish(_request(quote, "Sorry Cat, DM us!"))
    assert posted.platform_id


def test_a_deleted_post_is_reported_gone(sandbox, clock):
    from core.errors import PostGone

    target = sandbox.add_tweet("@lumora help", "ann")
    sandbox.delete(target)
    with pytest.raises(PostGone):
        make_publisher(sandbox, clock).publish(_request(target, "On it!"))
