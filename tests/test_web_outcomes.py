"""Outcomes in the web app over in-process HTTP (starlette TestClient): a reopened
conversation shows its outcome and evidence in the queue, one click corrects it
(stored, acted on), and the dashboard's outcome rows lead to lists as long as the
sample sizes they show."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from core.clock import ManualClock
from pipeline.outcomes import decide_outcomes
from sentiment.outcomes import OutcomeDecider
from store import drafts, mentions, users
from store import outcomes as outcome_store
from tests.support.actions import desk_settings
from tests.support.outcomes import AGENT, answer_reply, conversation_keys, post_reply
from web import auth
from web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def web(tmp_path, store, embedder):
    clock = ManualClock()
    settings = desk_settings(tmp_path)
    for name, role in ((AGENT, "agent"), ("vera", "viewer")):
        users.add(store, name, role, auth.hash_password(PASSWORD), clock.now())
    first, _, posted = post_reply(store, clock)
    conv_id, key = conversation_keys(store, first)
    follow = answer_reply(store, clock, posted, conv_id, "tried that, still not working")
    drafts.create(store, follow, "So sorry, let's look again", clock.now())
    post_reply(store, clock, handle="finn")  # a silent one
    clock.advance(hours=49)
    decide_outcomes(store, OutcomeDecider.load(embedder), settings, clock.now())
    app = create_app(store, settings, clock, "outcomes-secret-" + "q" * 20)
    return {"app": app, "store": store, "key": key, "follow": follow, "clock": clock}


def client(app, name: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"csrf_token": token, "username": name,
                                  "password": PASSWORD, "next": "/queue"}).status_code == 303
    return c


def test_the_queue_shows_the_outcome_and_one_click_corrects_it(web):
    alice = client(web["app"], AGENT)
    page = alice.get("/queue").text
    item = re.search(rf'id="m{web["follow"]}".*?</article>', page, re.S).group(0)
    assert 'data-outcome="open"' in item and "still not working after our reply" in item
    assert "predicted " in item  # satisfaction is never shown as a survey result
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = alice.post("/outcomes/correct", data={
        "csrf_token": token, "conversation": web["key"], "outcome": "resolved"},
        headers={"referer": "http://testserver/queue"})
    assert answer.status_code == 303 and answer.headers["location"] == "/queue"
    row = outcome_store.get(web["store"], web["key"])
    assert (row["outcome"], row["decided_by"]) == ("resolved", AGENT)
    assert mentions.get(web["store"], web["follow"])["status"] == "no_action"
    assert [c["value"] for c in outcome_store.corrections(web["store"])] == ["resolved"]


def test_a_viewer_cannot_correct(web):
    vera = client(web["app"], "vera")
    token = re.search(r'name="csrf-token" content="([^"]+)"', vera.get("/dashboard").text
                      ).group(1)
    vera.post("/outcomes/correct", data={"csrf_token": token, "conversation": web["key"],
                                         "outcome": "resolved"})
    assert outcome_store.get(web["store"], web["key"])["outcome"] == "open"


def test_dashboard_outcome_rows_list_their_sample_sizes(web):
    vera = client(web["app"], "vera")
    day = web["clock"].now().date()
    page = vera.get(f"/dashboard?since={day - timedelta(days=3)}&until={day}").text
    section = re.search(r'id="outcomes".*?</section>', page, re.S).group(0)
    assert "Predicted CSAT" in section and "not a survey" in section
    # (each cell carries its raw value in data-value; the text is what people read)
    rows = re.findall(r"<tr><td[^>]*>([^<]+)</td><td[^>]*>([^<]*)</td><td[^>]*>(\d+)</td>"
                      r"<td><a class=\"drill\" href=\"([^\"]+)\"", section)
    assert len(rows) >= 6
    for figure, value, n, href in rows:
        listed = vera.get(html.unescape(href)).text
        total = int(re.search(r'data-total="(\d+)"', listed).group(1))
        # A rate's link lists its denominator; a count's link lists what it counts.
        assert total == (int(value) if value.isdigit() else int(n)), figure
    assert rows[0][:3] == ("Resolution rate", "0.0%", "2")
