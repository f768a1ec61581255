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
    # (was "0.0%": the page shows a share as every dashboard table does, "0.0 %", and
    # keeps the raw fraction in data-value; the exports carry that fraction)
    assert rows[0][:3] == ("Resolution rate", "0.0 %", "2")
    assert '<td data-value="0.0">0.0 %</td>' in section


def test_no_figure_reads_as_a_dash_or_a_blank(web):
    """A figure with no sample says "no data" in every outcome table, as the rest of
    the dashboard does: never "-" and never an empty cell."""
    vera = client(web["app"], "vera")
    day = web["clock"].now().date()
    page = vera.get(f"/dashboard?since={day - timedelta(days=3)}&until={day}").text
    for name in ("outcomes", "outcomes_by_topic", "outcomes_by_template",
                 "outcomes_by_agent", "outcomes_by_platform"):
        section = re.search(rf'id="{name}".*?</section>', page, re.S).group(0)
        # (the first cell names the row: a figure, or a group such as template "-",
        # the drafts written without one)
        cells = [c for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)
                 for c in re.findall(r"<td data-value=[^>]*>([^<]*)</td>", row)[1:]]
        assert cells, name
        assert not [c for c in cells if c.strip() in ("", "-", "–")], (name, cells)
    # A range with no conversation: every rate and mean has no sample.
    empty = vera.get(f"/dashboard?since={day - timedelta(days=30)}"
                     f"&until={day - timedelta(days=20)}").text
    headline = re.search(r'id="outcomes".*?</section>', empty, re.S).group(0)
    for figure in ("Resolution rate", "First-contact resolution", "Predicted CSAT",
                   "Mean predicted satisfaction score", "Net sentiment change"):
        row = re.search(rf"<td[^>]*>{re.escape(figure)}[^<]*</td><td([^>]*)>([^<]*)</td>",
                        headline)
        assert row.group(2) == "no data" and "nodata" in row.group(1), figure
    assert re.search(r">Resolved</td><td[^>]*>0</td>", headline)  # a count is 0


def test_outcome_exports_hold_numbers_not_formatted_text(web):
    """Marketing loads the exports into spreadsheets: a rate is a fraction (0.5, as
    every dashboard export writes a share), a missing figure is empty (CSV) or null
    (JSON), never "50.0%" or "-"."""
    vera = client(web["app"], "vera")
    day = web["clock"].now().date()
    query = f"since={day - timedelta(days=3)}&until={day}"
    body = vera.get(f"/dashboard/outcomes.json?{query}").json()
    values = {r["figure"]: r["value"] for r in body["rows"]}
    assert values["Resolution rate"] == 0.0 and values["Resolved"] == 0
    assert values["Predicted CSAT (share predicted satisfied)"] == 0.0
    assert body["columns"] == ["figure", "value", "n"]  # the page's kinds stay out
    for by in ("topic", "template", "agent", "platform"):
        rows = vera.get(f"/dashboard/outcomes_by_{by}.json?{query}").json()["rows"]
        assert rows and all(isinstance(r["resolution_rate"], float) for r in rows), by
        assert all(r["predicted_csat"] is None or 0 <= r["predicted_csat"] <= 1
                   for r in rows), by
    empty = f"since={day - timedelta(days=30)}&until={day - timedelta(days=20)}"
    body = vera.get(f"/dashboard/outcomes.json?{empty}").json()
    assert {r["figure"]: r["value"] for r in body["rows"]}["Resolution rate"] is None
    assert "Resolution rate,,0" in vera.get(f"/dashboard/outcomes.csv?{empty}").text
    csv_text = vera.get(f"/dashboard/outcomes_by_platform.csv?{query}").text
    header, first = csv_text.splitlines()[:2]
    assert header.startswith("platform,conversations,resolved,resolution_rate,")
    assert "%" not in csv_text and ",-," not in csv_text + ","
    assert first.split(",")[3] == "0.0"
