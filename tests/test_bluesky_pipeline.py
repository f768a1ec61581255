"""Bluesky inside the real pipeline: built by the registry from a config file, one session
shared by source and publisher, a reply posted once across a lost answer and a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from listener.bluesky.publisher import BlueskyPublisher
from listener.bluesky.source import BlueskySource
from listener.platforms import PLATFORMS, build_publisher, build_source
from pipeline.jobs import Pipeline
from sandbox.bluesky_api import BlueskySandbox
from store import drafts, sources
from tests.support import Grumpy
from tests.support.bluesky import BRAND_HANDLE, PASSWORD

BLUESKY_SOURCE = """
[[sources]]
platform = "bluesky"
name = "bsky-lumora"
brand = "Lumora"
service_url = "{url}"
backoff_seconds = 0
"""


@pytest.fixture
def sandbox(clock, monkeypatch):
    monkeypatch.setenv("MENTIONDESK_BLUESKY_HANDLE", BRAND_HANDLE)
    monkeypatch.setenv("MENTIONDESK_BLUESKY_APP_PASSWORD", PASSWORD)
    with BlueskySandbox(brand_handle=BRAND_HANDLE, app_password=PASSWORD, clock=clock) as sb:
        yield sb


@pytest.fixture
def pipeline(sandbox, clock, make_settings, store):
    settings = make_settings([], BLUESKY_SOURCE.format(url=sandbox.url))
    bluesky = next(s for s in settings.sources if s.platform == "bluesky")
    source, publisher = build_source(bluesky, settings, clock), build_publisher(bluesky,
                                                                               settings, clock)
    assert isinstance(source, BlueskySource) and isinstance(publisher, BlueskyPublisher)
    assert source.client is publisher.client  # one session for both
    return Pipeline(store=store, settings=settings, classifier=Grumpy(),
                    sources={"bsky-lumora": source}, publishers={"bsky-lumora": publisher},
                    clock=clock)


def test_the_registry_knows_bluesky():
    platform = PLATFORMS["bluesky"]
    assert platform.reply_limit == 300 and platform.address("ann.bsky.social") == \
        "@ann.bsky.social"
    assert platform.reply_length("👨‍👩‍👧" * 10) == 18  # 180 bytes weigh more than 10 graphemes
    assert set(platform.secrets) == {"MENTIONDESK_BLUESKY_HANDLE",
                                     "MENTIONDESK_BLUESKY_APP_PASSWORD"}


def test_a_mention_is_drafted_approved_and_replied_to_once_across_a_crash(
        pipeline, sandbox, store, clock):
    post = sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} my Lumora order never "
                            "arrived, can you help?", created_at=clock.now() - timedelta(minutes=2))
    pipeline.run_once()
    draft = drafts.pending(store)[0]
    assert draft["draft_text"].startswith("Hi @ann.bsky.social")
    drafts.approve(store, draft["draft_id"], "mia", draft["version"], clock.now())
    clock.advance(10)  # the undo window passes

    sandbox.lose_next_answer("com.atproto.repo.createRecord")  # posted, answer lost
    sandbox.fail_next(503, times=3, nsid="com.atproto.repo.listRecords")  # cannot check yet
    assert pipeline.publish_batch() == 0
    assert sandbox.count("com.atproto.repo.createRecord") == 1

    clock.advance(60)  # the next run checks before it posts, and finds the reply
    assert pipeline.publish_batch() == 1
    assert sandbox.count("com.atproto.repo.createRecord") == 1
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "posted" and row["status"] == "replied"
    [reply] = sandbox.posts_by(BRAND_HANDLE)
    assert reply["record"]["reply"]["parent"]["uri"] == post
    assert reply["record"]["reply"]["root"]["uri"] == post

    clock.advance(60)  # our own reply never comes back as a mention
    assert pipeline.poll_source("bsky-lumora") == 0
    assert sandbox.count("com.atproto.server.createSession") == 1


def test_a_rate_limit_pauses_the_source_until_its_reset(pipeline, sandbox, store, clock):
    sandbox.add_post("ann.bsky.social", f"@{BRAND_HANDLE} hello",
                     created_at=clock.now() - timedelta(minutes=1))
    sandbox.fail_next(429, nsid="app.bsky.notification.listNotifications", reset_in=90)
    assert pipeline.poll_source("bsky-lumora") == 0
    until, reason = sources.paused_until(store, "bsky-lumora")
    assert until == clock.now() + timedelta(seconds=90) and reason.startswith("rate")
    clock.advance(30)
    assert pipeline.poll_source("bsky-lumora") == 0
    assert sandbox.count("app.bsky.notification.listNotifications") == 1  # skipped, not asked
    clock.advance(61)
    assert pipeline.poll_source("bsky-lumora") == 1


def test_the_sandbox_demo_config_has_a_bluesky_source():
    from pipeline.settings import load_settings as load
    from tests.support import REPO

    settings = load(REPO / "config" / "sandbox.toml", env={})
    [bluesky] = [s for s in settings.sources if s.platform == "bluesky"]
    assert bluesky.service_url == "http://127.0.0.1:8792" and bluesky.keyword_search


def test_the_inbox_rules_measure_a_bluesky_reply_as_bluesky_does(make_settings):
    from pipeline.actions import text_problems

    settings = make_settings([])
    wide = "é" * 290  # 290 graphemes: over X's 280, within Bluesky's 300
    assert text_problems(settings, "bluesky", wide) == []
    assert text_problems(settings, "bluesky", "é" * 301) != []
    assert text_problems(settings, "bluesky", "👨‍👩‍👧" * 170) != []  # 3,060 bytes
