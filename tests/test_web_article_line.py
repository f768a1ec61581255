"""The draft's article line over in-process HTTP (starlette TestClient), on drafts the
drafting stage wrote itself: a guide link the responder left out to fit the platform's
limit is said neutrally (nothing is wrong with a fresh draft), while an agent's edit
that deletes a drafted link is still told it will not be sent."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from config.settings import BrandSettings, KbArticle, ResponderSettings, Settings
from core.clock import ManualClock
from pipeline.replies import Replies
from store import drafts, users
from tests.support.actions import seed_mention
from web import auth
from web.app import create_app

PASSWORD = "correct horse battery"
URL = "https://help.acme.example/orders"
ARTICLE = KbArticle(title="Where is my order?", url=URL, topics=["delivery"],
                    description="Tracking a parcel, late or lost deliveries.",
                    examples=["my order never came", "where is my parcel"])
# The same template twice over: once short enough for the link, once so long that only
# the text without the link line fits in 280 characters.
WORDS = ("sorry your order hasn't turned up as it should, that is not the experience we "
         "want for you at all. DM us your order number and the email you ordered with and "
         "we'll chase the courier for you today and tell you where it is. ")


def settings(long: bool) -> Settings:
    template = "{greeting}, " + (WORDS * 2 if long else "sorry! ")[:250] + " {kb_line}{signoff}"
    return Settings(
        brands=[BrandSettings(name="Acme", handles=["acme"], signoff="^Mia")],
        responder=ResponderSettings(templates={"default": template},
                                    kb_line="This guide should help: {kb_link} ",
                                    knowledge_base=[ARTICLE], kb_threshold=0.2))


@pytest.fixture
def drafted(tmp_path, store, embedder):
    """Two mentions drafted by the drafting stage: one whose link fitted, one whose
    link was cut to fit; and an agent to look at them."""
    clock = ManualClock()
    ids = {}
    for name, long in (("fits", False), ("cut", True)):
        mention_id = seed_mention(store, clock, "@acme my order never came, where is it?",
                                  handle=name)
        assert Replies(settings(long), embedder).draft_batch(store, clock.now(), 10) == 1
        ids[name] = store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                [mention_id])[0]["id"]
    users.add(store, "alice", "agent", auth.hash_password(PASSWORD), clock.now())
    app = create_app(store, settings(True), clock, "article-secret-" + "k" * 20)
    c = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"csrf_token": token, "username": "alice",
                                  "password": PASSWORD, "next": "/queue"}).status_code == 303
    token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/queue").text).group(1)
    return {"client": c, "store": store, "ids": ids, "token": token}


def article_line(page: str, draft_id: int) -> str:
    item = re.search(rf'data-draft="{draft_id}".*?</article>', page, re.S).group(0)
    return re.search(r'<p class="draft-note muted article-line".*?</p>', item, re.S).group(0)


def test_a_link_cut_to_fit_is_said_neutrally_and_claims_nothing(drafted) -> None:
    store, ids = drafted["store"], drafted["ids"]
    page = drafted["client"].get("/queue").text
    line = article_line(page, ids["cut"])
    assert "left out of the first draft (280 characters)" in line
    assert "will not be sent" not in line and 'data-in-text="0"' in line
    # The drafted link: shown, its warning hidden until an edit deletes it.
    line = article_line(page, ids["fits"])
    assert 'data-in-text="1"' in line and re.search(r'class="article-gone" hidden', line)
    cut = drafts.get(store, ids["cut"])
    fits = drafts.get(store, ids["fits"])
    assert URL in fits["draft_text"] and URL not in cut["draft_text"]  # as drafted, unedited
    assert cut["article_url"] == URL  # the article chosen (the AI draft is given it)
    assert drafts.article_state(cut) == "left_out" and drafts.article_state(fits) == "in"
    # The responder says why, once, as a note for the agent.
    assert any("left out to fit 280 characters" in n for n in cut["draft_notes"])
    assert not any("left out" in n for n in fits["draft_notes"])


def test_an_edit_that_deletes_the_link_is_told_it_will_not_be_sent(drafted) -> None:
    draft_id = drafted["ids"]["fits"]
    answer = drafted["client"].post(f"/drafts/{draft_id}/edit", data={
        "csrf_token": drafted["token"], "version": "1",
        "text": "Hi @fits, sorry! DM us your order number. ^Mia"})
    assert answer.status_code == 303
    assert drafts.article_state(drafts.get(drafted["store"], draft_id)) == "dropped"
    line = article_line(drafted["client"].get("/queue").text, draft_id)
    assert re.search(r'class="article-gone">[^<]*not in the text: it will not be sent', line)
    assert "left out" not in line
