"""The web inbox enforces the agent-actions rules over plain HTTP: no request, whatever
its form fields, saves or approves a reply the policy or the length limit forbids."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from store import users
from store.schema import open_store
from tests.support.actions import BAD_REPLIES, desk_settings, draft_row, seed
from web.app import create_app
from web.auth import hash_password

PASSWORD = "correct horse battery"
GOOD = "Hi @casey, sorry about that. Please DM us and we'll chase it."


@pytest.fixture
def web(tmp_path, clock) -> Iterator[tuple[TestClient, object]]:
    store = open_store(tmp_path / "desk.db")
    users.add(store, "alice", "agent", hash_password(PASSWORD), clock.now())
    app = create_app(store, desk_settings(tmp_path), clock, "secret-" + "x" * 30)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        client.post("/login", data={"username": "alice", "password": PASSWORD,
                                    "csrf_token": token})
        yield client, store
    store.close()


def csrf(client: TestClient) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/queue").text).group(1)


@pytest.mark.parametrize(("text", "named"), BAD_REPLIES)
@pytest.mark.parametrize("action", ["approve", "edit"])
def test_web_refuses_to_save_or_approve_a_bad_reply(web, clock, action, text, named):
    client, store = web
    _, draft_id = seed(store, clock, "@acme where is my parcel?", GOOD)
    response = client.post(f"/drafts/{draft_id}/{action}", data={
        "csrf_token": csrf(client), "version": "1", "text": text})
    assert response.status_code == 200  # followed the redirect back to the queue
    word = "approved" if action == "approve" else "saved"
    flash = re.search(r'class="flash flash-error"[^>]*>([^<]+)<', response.text).group(1)
    assert flash.startswith(f"Not {word}: ") and named in flash
    row = draft_row(store, draft_id)
    assert (row["status"], row["text"], row["version"]) == ("pending", GOOD, 1)


def test_web_warns_before_approval_and_offers_undo(web, clock):
    client, store = web
    bad = "Hi @casey, reply with your password here and we'll check"
    seed(store, clock, "@acme cannot log in", bad)
    page = client.get("/queue").text
    assert "Cannot be sent as it is: asks for password in public" in page
    _, good_id = seed(store, clock, "@acme parcel lost", GOOD, handle="robin")
    page = client.post(f"/drafts/{good_id}/approve",
                       data={"csrf_token": csrf(client), "version": "1"}).text
    assert "goes out in 10 seconds unless you undo it" in page
    assert f'action="/drafts/{good_id}/undo"' in page
    clock.advance(5)
    page = client.post(f"/drafts/{good_id}/undo", data={"csrf_token": csrf(client)}).text
    assert "Undone: the reply was not sent" in page
    assert draft_row(store, good_id)["status"] == "pending"


def test_queue_shows_notes_and_offers_the_second_option(web, clock):
    client, store = web
    from store import drafts
    from tests.support.actions import seed_mention

    mention_id = seed_mention(store, clock, "@acme card 4111 1111 1111 1111 charged twice")
    past = "Hi @casey, a past answer that worked. DM us and we'll check it today."
    draft_id = drafts.create(
        store, mention_id, GOOD, clock.now(), template="negative#0",
        notes=["The customer posted a card number in public: suggest they delete the post "
               "and continue by DM."],
        options=[{"kind": "past", "text": past, "from_draft": 1, "score": 0.8}])
    page = client.get("/queue").text
    assert "suggest they delete the post" in page and "From a past approved reply" in page
    page = client.post(f"/drafts/{draft_id}/edit", data={
        "csrf_token": csrf(client), "version": "1", "text": past}).text
    assert "Draft saved." in page
    assert draft_row(store, draft_id)["text"] == past


def test_template_acceptance_page_is_for_admins(web, clock, tmp_path):
    client, store = web
    _, draft_id = seed(store, clock, "@acme where is my parcel?", GOOD)
    store.db.execute("UPDATE drafts SET template = 'delivery.negative#1' WHERE id = ?",
                     [draft_id])
    assert client.get("/replies").status_code == 403  # alice is an agent
    users.add(store, "root", "admin", hash_password(PASSWORD), clock.now())
    client.post("/logout", data={"csrf_token": csrf(client)})
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      client.get("/login").text).group(1)
    client.post("/login", data={"username": "root", "password": PASSWORD,
                                "csrf_token": token})
    client.post(f"/drafts/{draft_id}/reject", data={"csrf_token": csrf(client),
                                                    "version": "1", "note": "wrong"})
    page = client.get("/replies").text
    assert "template delivery.negative#1" in page and "0%" in page
    # Acceptance per kind: the rejected draft offered only its template.
    assert "By kind" in page and "<td>AI draft</td><td>0</td>" in page
    assert "<td>template</td><td>1</td><td>0</td><td>0</td><td>1</td>" in page


def test_an_ai_draft_is_marked_beside_the_template_one(web, clock):
    client, store = web
    _, draft_id = seed(store, clock, "@acme where is my parcel?", GOOD)
    ai_text = "Hi @casey, sorry the parcel is late. Send us a DM and we'll chase it."
    store.db.execute("UPDATE drafts SET options = ? WHERE id = ?",
                     [json.dumps([{"kind": "ai", "text": ai_text, "model": "llama3.1:8b"}]),
                      draft_id])
    page = client.get("/queue").text
    assert "AI draft · llama3.1:8b" in page and GOOD.replace("'", "&#39;") in page
