"""The Reddit source and publisher, built by the registry, inside the real pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from listener.platforms import build_publisher, build_source
from listener.reddit.publisher import RedditPublisher
from listener.reddit.source import RedditSource
from pipeline.jobs import Pipeline
from sandbox.reddit_api import RedditSandbox, SandboxCredentials
from store import drafts, sources
from tests.support import Grumpy, mentions_by_status

REDDIT_SOURCE = """
[[sources]]
platform = "reddit"
name = "reddit-lumora"
brand = "Lumora"
subreddits = ["gadgets"]
oauth_url = "{url}"
reddit_url = "{url}"
"""
CREDS = SandboxCredentials(username="lumora_official")



@pytest.fixture
def sandbox(clock, monkeypatch):
    for key, value in (("CLIENT_ID", CREDS.client_id), ("CLIENT_SECRET", CREDS.client_secret),
                       ("USERNAME", CREDS.username), ("PASSWORD", CREDS.password)):
        monkeypatch.setenv(f"MENTIONDESK_REDDIT_{key}", value)
    with RedditSandbox(credentials=CREDS, now=lambda: clock.now().timestamp()) as sb:
        sb.add_subreddit("gadgets")
        yield sb


@pytest.fixture
def pipeline(sandbox, clock, make_settings, store):
    settings = make_settings([], REDDIT_SOURCE.format(url=sandbox.url))
    reddit = next(s for s in settings.sources if s.platform == "reddit")
    source, publisher = (build_source(reddit, settings, clock),
                         build_publisher(reddit, settings, clock))
    assert isinstance(source, RedditSource) and isinstance(publisher, RedditPublisher)
    assert source.client is publisher.client  # one praw.Reddit, one rate budget
    return Pipeline(store=store, settings=settings, classifier=Grumpy(),
                    sources={"reddit-lumora": source}, publishers={"reddit-lumora": publisher},
                    clock=clock)


def test_reply_posted_once_across_a_crash(pipeline, sandbox, store, clock):
    post = sandbox.add_submission("gadgets", "Lumora hub broken", "please help, refund?", "ann",
                                  created_utc=clock.now().timestamp() - 120)
    pipeline.run_once()
    draft = drafts.pending(store)[0]
    drafts.approve(store, draft["draft_id"], "mia", draft["version"], clock.now())
    clock.advance(10)  # the undo window passes
    # The crash: Reddit stored the reply but its answer was lost.
    sandbox.fail_next(502, path="/api/comment", method="POST", commit=True)
    assert pipeline.publish_batch() == 0
    assert sandbox.count("POST", "/api/comment") == 1

    clock.advance(120)
    assert pipeline.publish_batch() == 1
    assert sandbox.count("POST", "/api/comment") == 1  # found, not posted again
    row = drafts.get(store, draft["draft_id"])
    assert row["draft_status"] == "posted" and row["status"] == "replied"
    ours = sandbox.comments_by(CREDS.username)
    assert len(ours) == 1 and ours[0]["parent_id"] == post["name"]

    clock.advance(60)  # our reply names Lumora, yet never comes back as a mention
    assert pipeline.poll_source("reddit-lumora") == 0


def test_a_rate_limit_pauses_the_source_until_its_reset(pipeline, sandbox, store,
                                                          clock):
    sandbox.add_submission("gadgets", "Lumora?", "", "ann",
                           created_utc=clock.now().timestamp() - 60)
    sandbox.fail_next(429)
    assert pipeline.poll_source("reddit-lumora") == 0
    until, reason = sources.paused_until(store, "reddit-lumora")
    assert until == clock.now() + timedelta(seconds=30) and reason.startswith("rate")
    clock.advance(31)
    assert pipeline.poll_source("reddit-lumora") == 1
    assert sum(mentions_by_status(store).values()) == 1


class Calm:
    """A stand-in classifier: every text neutral (no complaint to force a draft)."""

    name, version = "calm", "1"

    def classify(self, texts: list[str]) -> list:
        from sentiment.classifier import Prediction

        return [Prediction("neutral", {"negative": 0.1, "neutral": 0.8, "positive": 0.1})
                for _ in texts]


def test_a_u_slash_brand_question_is_addressed_and_a_deleted_author_not_named(
        pipeline, sandbox, store, clock):
    pipeline.classifier = Calm()
    post = sandbox.add_submission("gadgets", "Hub pairing", "", "ann",
                                  created_utc=clock.now().timestamp() - 300)
    sandbox.add_comment(post["name"], "u/lumorahelp how do I pair the hub?", "bo",
                        created_utc=clock.now().timestamp() - 120)
    sandbox.add_comment(post["name"], "u/lumorahelp why does it blink?", None,
                        created_utc=clock.now().timestamp() - 60)
    pipeline.run_once()
    texts = sorted(d["draft_text"] for d in drafts.pending(store))
    assert len(texts) == 2
    assert texts[1].startswith("Hi u/bo,")
    assert texts[0].startswith("Hi there,") and "[deleted]" not in texts[0]
