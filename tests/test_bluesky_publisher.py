"""The Bluesky publisher, through the real atproto client, against the sandbox over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import PostGone, PublishError, PublishRefused
from core.reply import ReplyRequest
from listener.bluesky.length import BLUESKY_LIMIT, bluesky_length, graphemes
from sandbox.bluesky_api import grapheme_count
from tests.support.bluesky import (
    BRAND_HANDLE,
    make_publisher,
    new_sandbox,
)

CREATE = "com.atproto.repo.createRecord"


@pytest.fixture
def sandbox(clock):
    with new_sandbox(clock) as sb:
        yield sb


def request(uri: str, text: str = "Hi, sorry about that. Please DM us. ^Mia",
            conversation: str = "") -> ReplyRequest:
    return ReplyRequest(draft_id=7, platform="bluesky", in_reply_to_id=uri,
                        conversation_id=conversation or uri, text=text)


def ours(sandbox):
    return sandbox.posts_by(BRAND_HANDLE)


def ref(sandbox, uri):
    return {"uri": uri, "cid": sandbox.posts[uri]["cid"]}


def test_a_reply_deep_in_a_thread_names_its_root_and_parent(sandbox, clock):
    root = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} my lamp flickers",
                            created_at=clock.now() - timedelta(minutes=9))
    middle = sandbox.add_post("bob.bsky.social", "mine too", reply_to=root)
    leaf = sandbox.add_post("cat.bsky.social", f"@{BRAND_HANDLE} and mine", reply_to=middle)

    posted = make_publisher(sandbox, clock).publish(request(leaf, conversation=root))

    [reply] = ours(sandbox)
    assert reply["record"]["reply"]["root"] == {"$type": "com.atproto.repo.strongRef",
                                                **ref(sandbox, root)}
    assert reply["record"]["reply"]["parent"]["uri"] == leaf
    assert reply["record"]["reply"]["parent"]["cid"] == sandbox.posts[leaf]["cid"]
    assert posted.platform_id == reply["uri"] and posted.posted_at == clock.now()
    assert posted.url == f"https://bsky.app/profile/{BRAND_HANDLE}/post/{reply['rkey']}"


def test_a_reply_to_a_top_level_post_has_it_as_root_and_parent(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} hello")
    make_publisher(sandbox, clock).publish(request(post))
    [reply] = ours(sandbox)
    assert reply["record"]["reply"]["root"]["uri"] == post
    assert reply["record"]["reply"]["parent"]["uri"] == post


def test_mentions_and_links_get_facets_on_utf8_byte_offsets(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} ¿dónde está mi pedido?")
    text = "Hola 👋 @ann.bsky.social, míralo aquí: https://help.lumora.example/orders ^Mia"
    make_publisher(sandbox, clock).publish(request(post, text))

    [reply] = ours(sandbox)
    data = text.encode("utf-8")
    spans = {}
    for facet in reply["record"]["facets"]:
        feature = facet["features"][0]
        piece = data[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()
        spans[piece] = feature.get("did") or feature.get("uri")
    assert spans == {"@ann.bsky.social": sandbox.did_of("ann.bsky.social"),
                     "https://help.lumora.example/orders": "https://help.lumora.example/orders"}


def test_an_answer_lost_after_the_post_was_made_is_found_not_posted_again(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} refund please")
    sandbox.lose_next_answer(CREATE, status=502)
    publisher = make_publisher(sandbox, clock)

    posted = publisher.publish(request(post))

    assert sandbox.count(CREATE) == 1
    [reply] = ours(sandbox)
    assert posted.platform_id == reply["uri"]
    assert publisher.find_posted(request(post)) == posted


def test_an_unreadable_answer_to_the_post_is_confirmed_not_repeated(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} refund please")
    sandbox.malformed_next(CREATE, after=True)
    posted = make_publisher(sandbox, clock).publish(request(post))
    [reply] = ours(sandbox)
    assert posted.platform_id == reply["uri"] and sandbox.count(CREATE) == 1


def test_a_5xx_before_the_post_leaves_nothing_and_the_retry_posts_once(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} refund please")
    sandbox.fail_next(503, nsid=CREATE)
    publisher = make_publisher(sandbox, clock)
    with pytest.raises(PublishError, match="not confirmed"):
        publisher.publish(request(post))
    assert ours(sandbox) == [] and publisher.find_posted(request(post)) is None

    publisher.publish(request(post))
    assert len(ours(sandbox)) == 1


def test_find_posted_matches_parent_and_text_among_our_records(sandbox, clock):
    first = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} one")
    second = sandbox.add_post("bob.bsky.social", f"@{BRAND_HANDLE} two")
    publisher = make_publisher(sandbox, clock, confirm_records=300)
    publisher.publish(request(first, "Thanks, we are on it ^Mia"))
    for i in range(120):  # more of our own posts than one page of records
        sandbox.add_post(BRAND_HANDLE, f"status update {i}")
    assert publisher.find_posted(request(second, "Thanks, we are on it ^Mia")) is None
    assert publisher.find_posted(request(first, "Another text")) is None
    found = publisher.find_posted(request(first, "Thanks, we are on it ^Mia"))
    assert found is not None and found.platform_id == ours(sandbox)[0]["uri"]
    assert sandbox.count("com.atproto.repo.listRecords") >= 2 + 3  # paged past our updates


def test_the_300_grapheme_rule_counts_what_people_see(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} hi")
    publisher = make_publisher(sandbox, clock)
    thumbs = "👍🏽" * BLUESKY_LIMIT  # 600 code points, 2,400 bytes, 300 graphemes
    assert len(thumbs) == 600 and bluesky_length(thumbs) == BLUESKY_LIMIT
    publisher.publish(request(post, thumbs))  # accepted by the server's own count
    assert ours(sandbox)[0]["record"]["text"] == thumbs

    for too_long in ("é" * (BLUESKY_LIMIT + 1), "👨‍👩‍👧" * 200):  # 301 graphemes; 3,600 bytes
        with pytest.raises(PublishRefused, match="at most 300 graphemes and 3000 bytes"):
            publisher.publish(request(post, too_long))
    assert sandbox.count(CREATE) == 1  # refused before any request


@pytest.mark.parametrize("text", [
    "plain ascii", "e\u0301 composed by hand", "👨‍👩‍👧‍👦 family", "🇫🇷🇩🇪 flags", "👍🏽 tone",
    "नमस्ते दुनिया", "한국어 한", "line\r\nbreak", "❤️ variation", "🏳️‍🌈 flag",
])
def test_our_grapheme_count_agrees_with_the_sandboxs_own(text):
    assert graphemes(text) == grapheme_count(text)


def test_a_deleted_post_and_a_closed_thread_are_refused_for_good(sandbox, clock):
    publisher = make_publisher(sandbox, clock)
    gone = "at://did:plc:nobody/app.bsky.feed.post/3kgone"
    with pytest.raises(PostGone, match="deleted"):
        publisher.publish(request(gone))
    closed = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} hi", reply_disabled=True)
    with pytest.raises(PublishRefused, match="thread settings") as caught:
        publisher.publish(request(closed))
    assert caught.value.manual_url == \
        f"https://bsky.app/profile/{closed.split('/')[2]}/post/{closed.split('/')[-1]}"
    assert sandbox.count(CREATE) == 0


def test_a_rate_limited_post_is_retried_later(sandbox, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} hi")
    sandbox.fail_next(429, nsid=CREATE, reset_in=600)
    publisher = make_publisher(sandbox, clock)
    with pytest.raises(PublishError, match="rate limited until") as caught:
        publisher.publish(request(post))
    assert not isinstance(caught.value, PublishRefused)
    assert ours(sandbox) == []


def test_gone_names_the_deleted_posts_in_batches_of_25(sandbox, clock):
    posts = [sandbox.add_post(f"u{i}.bsky.social", f"@{BRAND_HANDLE} {i}") for i in range(30)]
    sandbox.delete(posts[3])
    sandbox.delete(posts[27])
    publisher = make_publisher(sandbox, clock)
    assert publisher.gone(posts) == {posts[3], posts[27]}
    assert sandbox.count("app.bsky.feed.getPosts") == 2
    sandbox.fail_next(503, times=3, nsid="app.bsky.feed.getPosts")
    with pytest.raises(PublishError):  # unknown is never "gone"
        publisher.gone(posts)
