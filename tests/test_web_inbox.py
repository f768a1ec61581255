"""The web inbox in a real browser: Debian's headless chromium driven by Playwright,
against the app served by uvicorn on a free port over a real SQLite file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("web browser tests need Debian's chromium at /usr/bin/chromium "
                "(apt-get install chromium; .ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

from config.settings import BrandSettings, Settings  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from listener.replay.publisher import SinkPublisher  # noqa: E402
from listener.replay.settings import ReplaySourceSettings  # noqa: E402
from pipeline.jobs import Pipeline  # noqa: E402
from store import audit, claims, drafts, publishing, sessions, users  # noqa: E402
from store.db import Store  # noqa: E402
from store.schema import open_store  # noqa: E402
from tests.support.actions import SOURCE, seed  # noqa: E402
from web.auth import hash_password  # noqa: E402
from web.server import WebService  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
PASSWORD = "correct horse battery"
ROLES = {"alice": "agent", "bob": "agent", "dana": "drafter", "vera": "viewer",
         "root": "admin"}


class Desk:
    """The served app and the means to fill it and look inside it."""

    def __init__(self, store: Store, clock: ManualClock, settings: Settings, url: str,
                 sink: Path) -> None:
        self.store, self.clock, self.settings, self.url, self.sink = (
            store, clock, settings, url, sink)
        self.pipeline = Pipeline(
            store=store, settings=settings, classifier=None,  # type: ignore[arg-type]
            sources={}, publishers={SOURCE: SinkPublisher(sink, clock)}, clock=clock)
        self._n = 0

    def seed(self, text: str, draft: str, **kw: Any) -> tuple[int, int]:
        """A triaged mention with a pending draft, as the pipeline leaves it."""
        kw = {"name": "Casey", "minutes_ago": 20, "followers": 4200, "waiting": 0.3, **kw}
        return seed(self.store, self.clock, text, draft, **kw)

    def draft(self, draft_id: int) -> dict[str, Any]:
        return self.store.query("SELECT * FROM drafts WHERE id = ?", [draft_id])[0]

    def publish(self) -> int:
        self.clock.advance(self.settings.pipeline.undo_seconds)  # the undo window passes
        return self.pipeline.publish_batch()

    def sink_texts(self) -> list[str]:
        return [r["text"] for r in SinkPublisher(self.sink, self.clock).replies()]


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    tmp = tmp_path_factory.mktemp("web")
    store = open_store(tmp / "desk.db")
    clock = ManualClock()
    settings = Settings(
        brands=[BrandSettings(name="Acme", handles=["acme"])],
        sources=[ReplaySourceSettings(platform="replay", name=SOURCE, brand="Acme",
                                      path=tmp / "in.jsonl")])
    for name, role in ROLES.items():
        users.add(store, name, role, hash_password(PASSWORD), clock.now())
    service = WebService(store, settings, clock, host="127.0.0.1", port=0,
                         session_secret="test-secret-" + "x" * 20)
    service.start()
    yield Desk(store, clock, settings, service.url, tmp / "sink.jsonl")
    service.stop()
    store.close()


_states: dict[str, Any] = {}


@pytest.fixture
def as_user(browser: Browser, desk: Desk) -> Iterator[Any]:
    """``as_user(name)`` -> a page logged in as ``name`` (the log-in is done once)."""
    contexts: list[BrowserContext] = []

    def open_page(name: str) -> Page:
        if name not in _states:
            ctx = browser.new_context(base_url=desk.url)
            page = ctx.new_page()
            log_in(page, name)
            _states[name] = ctx.storage_state()
            ctx.close()
        ctx = browser.new_context(base_url=desk.url, storage_state=_states[name])
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.goto("/queue")
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()


def log_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def item(page: Page, mention_id: int):
    return page.locator(f"article#m{mention_id}")


def opened(page: Page, mention_id: int):
    """The item after clicking its row in the list: its detail (thread, draft,
    actions) is shown beside the list, or under the row on a phone."""
    card = item(page, mention_id)
    card.locator(".row").click()
    expect(card).to_have_class(re.compile(r"\bselected\b"))
    return card


def csrf(page: Page) -> str:
    return page.locator("meta[name=csrf-token]").get_attribute("content") or ""


# --- tests ----------------------------------------------------------------------------

def test_logged_out_requests_go_to_login(browser: Browser, desk: Desk) -> None:
    ctx = browser.new_context(base_url=desk.url)
    page = ctx.new_page()
    page.goto("/queue?sentiment=negative")
    assert re.search(r"/login\?next=%2Fqueue%3Fsentiment%3Dnegative$", page.url)
    page.goto("/audit")
    assert "/login" in page.url
    # The session cookie is HttpOnly and SameSite=Lax.
    log_in(page, "alice", "wrong password!")
    expect(page.locator(".flash-error")).to_contain_text("Wrong user name or password")
    log_in(page, "alice")
    page.wait_for_url("**/queue")
    cookie = next(c for c in ctx.cookies() if c["name"] == "mentiondesk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    ctx.close()


def test_login_queue_filters_and_screenshot(browser: Browser, desk: Desk) -> None:
    earlier, earlier_draft = desk.seed(
        "@acme ordered a lamp on Monday, any tracking yet?", "Hi @casey, it ships tomorrow!",
        minutes_ago=60 * 24 * 3, conversation="c-0")
    drafts.approve(desk.store, earlier_draft, "bob", 1, desk.clock.now())
    desk.publish()
    _, opener = desk.seed("@acme where is parcel AC-3310? the tracking stopped on Friday",
                          "Hi @casey, thanks for reaching out.", minutes_ago=120,
                          conversation="c-1")
    drafts.reject(desk.store, opener, "bob", 1, "answered in the follow-up", desk.clock.now())
    first, _ = desk.seed("@acme my parcel has been stuck in Leeds for a week, nobody answers",
                         "Hi @casey, we're sorry about this. Please DM us your order number "
                         "so we can sort it out. https://help.acme.example/orders ^Mia",
                         priority=0.82, minutes_ago=75, conversation="c-1")
    jo, _ = desk.seed(
        "@acme can I change the delivery address after ordering?",
        "Hi @jo, good question! This may help: https://help.acme.example/address ^Mia",
        handle="jo", name="Jo Park", label="neutral", topic="account", priority=0.41,
        minutes_ago=12, followers=183_000)
    claims.claim(desk.store, jo, "bob", desk.clock.now())
    desk.seed("Thanks @acme, the replacement arrived today and it works perfectly",
              "Thank you @sam, that means a lot to the team! ^Mia", handle="sam",
              name="Sam Lee", label="positive", topic="general", priority=0.12,
              minutes_ago=5, followers=37)
    ctx = browser.new_context(base_url=desk.url, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    log_in(page, "alice")
    page.wait_for_url("**/queue")
    card = opened(page, first)
    expect(card).to_contain_text("stuck in Leeds")
    expect(card.locator(".sla")).to_contain_text("overdue by 15m")  # 75 min vs a 60 min SLA
    expect(card.locator(".handle").first).to_have_text("@casey")
    expect(card).to_contain_text("4,200 followers")
    expect(card.locator(".counter")).to_contain_text("/ 280")
    # The conversation so far, with our earlier reply.
    expect(card.locator(".context .msg").first).to_contain_text("tracking stopped on Friday")
    expect(card.locator(".context .earlier")).to_contain_text("Hi @casey, it ships tomorrow!")
    expect(item(page, jo).locator(".claim-other")).to_contain_text("bob is working on this")
    expect(item(page, earlier)).to_have_count(0)
    # A filter and its count agree with the list.
    neutral = page.locator("a[data-facet=sentiment][data-value=neutral]")
    count = int(neutral.locator(".count").inner_text())
    neutral.click()
    expect(page.locator("article.item")).to_have_count(count)
    expect(page.locator("article.item .badge.sent-neutral")).to_have_count(count)
    page.goto("/queue")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=False)
    ctx.close()


def test_approve_publishes_the_reply(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme I was charged twice for order 5521",
                                     "Hi @casey, sorry about the double charge. Please DM us.")
    page = as_user("alice")
    opened(page, mention_id).locator("button.approve").click()
    expect(page.locator(".flash-ok")).to_contain_text("Approved")
    expect(item(page, mention_id)).to_have_count(0)
    assert desk.publish() >= 1
    assert "Hi @casey, sorry about the double charge. Please DM us." in desk.sink_texts()
    assert desk.draft(draft_id)["status"] == "posted"
    assert desk.draft(draft_id)["approved_by"] == "alice"
    page.goto(f"/audit?mention={mention_id}")
    expect(page.locator("tr.act-approved")).to_contain_text("alice")
    expect(page.locator("tr.act-posted")).to_have_count(1)


def test_policy_and_length_hold_in_the_browser(as_user: Any, desk: Desk) -> None:
    bad = "Hi @casey, please reply with your password and card number here"
    mention_id, draft_id = desk.seed("@acme I can't log in", bad)
    page = as_user("alice")
    card = opened(page, mention_id)
    expect(card.locator(".policy-warn")).to_contain_text("asks for password and card number")
    card.locator("button.approve").click()
    expect(page.locator(".flash-error")).to_contain_text(
        "Not approved: asks for password and card number in public")
    item(page, mention_id).locator("textarea").fill("x" * 5000)
    item(page, mention_id).locator("button.save").click()
    expect(page.locator(".flash-error")).to_contain_text("Not saved: it is 5000 characters")
    assert (desk.draft(draft_id)["status"], desk.draft(draft_id)["text"]) == ("pending", bad)
    desk.publish()
    assert bad not in desk.sink_texts()


def test_edit_then_approve_with_the_keyboard(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme the app logs me out every five minutes",
                                     "Hi @casey, thanks for reaching out.")
    page = as_user("alice")
    card = item(page, mention_id)
    card.locator(".row").click()  # select the item
    expect(card).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("e")
    expect(card.locator("textarea")).to_be_focused()
    area = card.locator("textarea")
    area.fill("日本 https://a.b/c 😀 café")  # CJK and emoji weigh 2, as responder/length.py
    expect(card.locator(".counter .n")).to_have_text("36")
    area.fill("x" * 281)
    expect(card.locator(".counter")).to_have_class(re.compile(r"\bover\b"))
    expect(card.locator("button.approve")).to_be_disabled()
    area.fill("Hi @casey, a fix ships today: https://status.acme.example/incidents/2026-11-23")
    # X counts a URL as 23 whatever its length: 30 characters + 23.
    expect(card.locator(".counter .n")).to_have_text("53")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator(".flash-ok")).to_contain_text("Approved")
    row = desk.draft(draft_id)
    assert row["status"] == "approved"
    assert row["text"].endswith("incidents/2026-11-23")
    edits = [e for e in audit.entries(desk.store, mention_id=mention_id)
             if e["action"] == "edited"]
    assert edits and edits[0]["before"] == "Hi @casey, thanks for reaching out."
    desk.publish()
    assert row["text"] in desk.sink_texts()


def test_reject_with_a_note(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme win a free crypto airdrop, follow back",
                                     "Hi @casey, thanks for reaching out.")
    page = as_user("bob")
    card = item(page, mention_id)
    card.locator(".row").click()
    page.keyboard.press("r")
    expect(card.locator("form.reject input[name=note]")).to_be_focused()
    page.keyboard.type("spam bot, no reply")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-ok")).to_contain_text("rejected: spam bot, no reply")
    row = desk.draft(draft_id)
    assert (row["status"], row["note"]) == ("rejected", "spam bot, no reply")
    page.goto(f"/audit?mention={mention_id}")
    expect(page.locator("tr.act-rejected")).to_contain_text("spam bot, no reply")
    expect(page.locator("tr.act-rejected")).to_contain_text("bob")


def test_drafter_edits_but_cannot_approve(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme where is my refund?", "Hi @casey, sorry.")
    page = as_user("dana")
    card = opened(page, mention_id)
    expect(card.locator("button.approve")).to_have_count(0)
    expect(card.locator("form.reject")).to_have_count(0)
    card.locator("textarea").fill("Hi @casey, refunds take 3-5 days; DM us the order number.")
    card.locator("button.save").click()
    expect(page.locator(".flash-ok")).to_contain_text("Draft saved")
    assert desk.draft(draft_id)["version"] == 2
    # Forging the approve request is refused by the server too.
    response = page.request.post(f"/drafts/{draft_id}/approve", form={
        "csrf_token": csrf(page), "version": "2", "text": "Hi"})
    assert response.status == 403
    assert desk.draft(draft_id)["status"] == "pending"
    # An agent approves what the drafter wrote.
    agent = as_user("alice")
    opened(agent, mention_id).locator("button.approve").click()
    expect(agent.locator(".flash-ok")).to_contain_text("Approved")
    assert desk.draft(draft_id)["text"].startswith("Hi @casey, refunds take")
    # A viewer reads only.
    viewer = as_user("vera")
    expect(viewer.locator("button.approve, button.save, form.reject")).to_have_count(0)


def test_keys_a_role_may_not_use_are_refused_out_loud(as_user: Any, desk: Desk) -> None:
    """A viewer's or a drafter's page has no Approve button, so the key "a" found
    nothing to press and silently did nothing, while the key list still offered it."""
    mention_id, draft_id = desk.seed("@acme my order never came", "Hi @casey, sorry.")
    for name, role, offered, hidden in (
            ("vera", "viewer", [], ["edit the draft", "approve exactly", "internal note"]),
            ("dana", "drafter", ["edit the draft", "internal note"], ["approve exactly"])):
        page = as_user(name)
        opened(page, mention_id)
        page.keyboard.press("a")
        expect(page.locator(".flash-error")).to_have_text(
            f"Your role ({role}) may not approve replies.")
        page.keyboard.press("?")
        keys = page.locator("#help")
        expect(keys).to_contain_text("next / previous item")
        for text in offered:
            expect(keys).to_contain_text(text)
        for text in hidden:
            expect(keys).not_to_contain_text(text)
    viewer = as_user("vera")
    opened(viewer, mention_id)
    viewer.keyboard.press("n")
    expect(viewer.locator(".flash-error")).to_have_text("Your role (viewer) may not write notes.")
    assert desk.draft(draft_id)["status"] == "pending"
    drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())


def test_a_message_is_not_hidden_under_the_opened_item(as_user: Any, desk: Desk) -> None:
    """The message an action answers with ran under the opened item's fixed panel on
    a desktop: its end (and a long message's words) could not be read."""
    first, first_draft = desk.seed("@acme the app logs me out", "Hi @casey, sorry. DM us.")
    _, second_draft = desk.seed("@acme and now it crashes", "Hi @casey, sorry again.")
    page = as_user("alice")
    page.set_viewport_size({"width": 1366, "height": 800})
    opened(page, first).locator("form.reject input[name=note]").fill("asked twice")
    item(page, first).locator("form.reject button").click()
    expect(page.locator(".flash-ok")).to_contain_text("Draft rejected: asked twice")
    detail = page.locator("article.item.selected > .detail").bounding_box()
    message = page.locator(".flashes").bounding_box()
    assert detail and message and message["x"] + message["width"] <= detail["x"]
    drafts.reject(desk.store, second_draft, "alice", 1, "test clean-up", desk.clock.now())
    assert desk.draft(first_draft)["status"] == "rejected"


def test_the_list_names_each_author_beside_the_opened_item_on_a_small_screen(
        as_user: Any, desk: Desk) -> None:
    """Between a phone and a desktop (the list is 44 % of the width) nine columns left
    the author 0 px: the rows showed "@" and the headings ran into each other."""
    mention_id, draft_id = desk.seed("@acme my hub is offline", "Hi @casey, sorry. DM us.",
                                     handle="casey_from_leeds")
    page = as_user("alice")
    for width in (1000, 800):
        page.set_viewport_size({"width": width, "height": 800})
        who = item(page, mention_id).locator(".r-who")
        expect(who).to_contain_text("casey_from_leeds")
        box = who.bounding_box()
        assert box and box["width"] >= 120, width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())


def test_two_agents_collide_on_one_mention(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme my order arrived broken", "Hi @casey, sorry!")
    alice, bob = as_user("alice"), as_user("bob")  # both see version 1
    a_card, b_card = opened(alice, mention_id), opened(bob, mention_id)
    a_card.locator("form.claimform button").click()
    expect(alice.locator(".flash-ok")).to_contain_text("Assigned to you")
    a_card = item(alice, mention_id)
    a_card.locator("textarea").fill("Hi @casey, so sorry! A replacement is on its way.")
    a_card.locator("button.save").click()
    expect(alice.locator(".flash-ok")).to_contain_text("Draft saved")
    # Bob's page is stale: his approve of version 1 is refused with a clear message.
    b_card.locator("button.approve").click()
    expect(bob.locator(".flash-error")).to_contain_text("changed by a colleague")
    assert desk.draft(draft_id)["status"] == "pending"
    # Reloaded, he sees who has it and cannot approve without taking it over.
    b_card = item(bob, mention_id)
    expect(b_card.locator(".claim-other")).to_contain_text("alice is working on this")
    expect(b_card.locator("button.approve")).to_be_disabled()
    response = bob.request.post(f"/drafts/{draft_id}/approve", form={
        "csrf_token": csrf(bob), "version": "2",
        "text": "Hi @casey, so sorry! A replacement is on its way."})
    assert response.ok  # followed the redirect back to the queue
    assert "take it over first" in response.text()
    b_card.locator("form.claimform button").click()  # "Take over from alice"
    expect(bob.locator(".flash-ok")).to_contain_text("Taken over")
    item(bob, mention_id).locator("button.approve").click()
    expect(bob.locator(".flash-ok")).to_contain_text("Approved")
    # Alice's stale page cannot send a second reply.
    item(alice, mention_id).locator("button.approve").click()
    expect(alice.locator(".flash-error")).to_contain_text("already approved")
    desk.publish()
    sent = [t for t in desk.sink_texts() if "replacement is on its way" in t]
    assert len(sent) == 1
    assert desk.draft(draft_id)["approved_by"] == "bob"


def test_refused_reply_shows_reason_and_manual_link(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("so @acme support is useless lol", "Hi @casey, sorry!")
    drafts.approve(desk.store, draft_id, "alice", 1, desk.clock.now())
    publishing.mark_posting(desk.store, draft_id, desk.clock.now())
    publishing.mark_refused(desk.store, draft_id, "X: reply not allowed to this post",
                        "https://x.example/intent/post?in_reply_to=1", desk.clock.now())
    page = as_user("alice")
    card = opened(page, mention_id)
    expect(card.locator(".refused")).to_contain_text("X: reply not allowed to this post")
    link = card.locator(".refused a")
    expect(link).to_have_attribute("href", "https://x.example/intent/post?in_reply_to=1")
    card.locator("form.handled button").click()
    expect(page.locator(".flash-ok")).to_contain_text("replied by hand")
    expect(item(page, mention_id)).to_have_count(0)
    row = desk.store.query("SELECT status FROM mentions WHERE id = ?", [mention_id])[0]
    assert row["status"] == "replied"


def test_hostile_text_renders_as_text(as_user: Any, desk: Desk) -> None:
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>"quoted" & more'
    mention_id, _ = desk.seed(f"@acme {payload}", f"Hi, re {payload}",
                              name='<b id="pwn">Eve</b>', handle="eve")
    page = as_user("alice")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.reload()
    card = item(page, mention_id)
    expect(card.locator(".text")).to_have_text(f"@acme {payload}")
    expect(card.locator(".name")).to_have_text('<b id="pwn">Eve</b>')
    expect(card.locator("textarea")).to_have_value(f"Hi, re {payload}")
    assert page.locator("#pwn").count() == 0
    assert card.locator("img, script").count() == 0
    page.wait_for_timeout(200)
    assert dialogs == []


def test_post_without_csrf_token_is_refused(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme hello?", "Hi @casey!")
    page = as_user("alice")
    for path, form in ((f"/drafts/{draft_id}/approve", {"version": "1"}),
                       (f"/drafts/{draft_id}/reject", {"version": "1", "note": "x"}),
                       (f"/mentions/{mention_id}/claim", {}),
                       ("/logout", {})):
        response = page.request.post(path, form=form, max_redirects=0)
        assert response.status == 403, path
        wrong = page.request.post(path, form={**form, "csrf_token": "forged"},
                                  max_redirects=0)
        assert wrong.status == 403, path
    assert desk.draft(draft_id)["status"] == "pending"
    assert page.request.get("/healthz").json() == {"ok": True}


def test_admin_adds_a_user_whose_session_ends_when_disabled(
        as_user: Any, browser: Browser, desk: Desk) -> None:
    admin = as_user("root")
    admin.goto("/users")
    form = admin.locator("form.adduser")
    form.locator("input[name=username]").fill("temp")
    form.locator("select[name=role]").select_option("viewer")
    form.locator("input[name=password]").fill("temporary password")
    form.locator("button").click()
    expect(admin.locator(".flash-ok")).to_contain_text("Added temp")
    ctx = browser.new_context(base_url=desk.url)
    page = ctx.new_page()
    log_in(page, "temp", "temporary password")
    page.wait_for_url("**/queue")
    expect(page.locator(".role")).to_have_text("viewer")
    assert page.request.get("/users").status == 403  # not an admin
    admin.locator("tr", has_text="temp").locator("button[value=disable]").click()
    expect(admin.locator(".flash-ok")).to_contain_text("temp disabled")
    page.goto("/queue")
    assert "/login" in page.url
    ctx.close()
    admin.goto("/audit")
    expect(admin.locator("tr.act-user-disabled")).to_contain_text("root")
    ARTIFACTS.mkdir(exist_ok=True)
    admin.screenshot(path=str(ARTIFACTS / "audit.png"))


# --- a whole day's queue: paging, partial updates, kept drafts, bulk, search --------------

def test_paging_search_and_bulk_actions_without_reloading(as_user: Any, desk: Desk) -> None:
    ids = [desk.seed(f"@acme zebra crossing {i} lamp flickers", f"Hi @zed{i}",
                     handle=f"zed{i}", priority=0.01)[0] for i in range(53)]
    page = as_user("alice")
    total = int(page.locator("#total").inner_text())
    assert total >= 53
    page.keyboard.press("/")
    page.keyboard.type("zebra crossing")
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("53")
    expect(page.locator("article.item")).to_have_count(50)
    expect(page.locator(".queue-head")).to_contain_text("1–50 of 53")
    page.keyboard.press("]")  # the next page
    expect(page.locator("article.item")).to_have_count(3)
    page.keyboard.press("[")
    expect(page.locator("article.item")).to_have_count(50)
    page.evaluate("window.notReloaded = true")
    # Select three with the keyboard and the mouse, then reject them as spam.
    item(page, ids[0]).locator(".row").click()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    item(page, ids[2]).locator("input.pick").check()
    expect(page.locator("#bulk .picked")).to_have_text("3")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.locator("#bulk button[value=spam]").click()
    expect(page.locator("article.item")).to_have_count(50)  # dismissed: nothing happened
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.locator("#bulk button[value=spam]").click()
    expect(page.locator(".flash-ok")).to_contain_text("Rejected as spam: 3.")
    assert asked == ["Reject 3 selected as spam?"] * 2
    expect(page.locator("article.item")).to_have_count(47)
    expect(page.locator("#total")).to_have_text("50")
    assert page.evaluate("window.notReloaded") is True  # updated in place
    assert {desk.draft(d)["status"] for d in ids[:3]} == {"rejected"}
    assert desk.draft(ids[3])["status"] == "pending"
    # Close the rest so later tests see a short queue.
    for mention_id in ids[3:]:
        draft_id = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                    [mention_id])[0]["id"]
        drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())


def test_unsaved_text_survives_claim_refresh_and_an_expired_session(
        browser: Browser, desk: Desk) -> None:
    users.add(desk.store, "erin", "agent", hash_password(PASSWORD), desk.clock.now())
    mention_id, draft_id = desk.seed("@acme the kettle whistles at night",
                                     "Hi @casey, thanks for reaching out.")
    ctx = browser.new_context(base_url=desk.url)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, "erin")
    mine = "Hi @casey, that whistle means the lid seal is loose; a new one is on its way."
    opened(page, mention_id).locator("textarea").fill(mine)
    page.evaluate("window.notReloaded = true")
    item(page, mention_id).locator("form.claimform button").click()  # "Assign to me"
    expect(page.locator(".flash-ok")).to_have_text("Assigned to you.")
    card = item(page, mention_id)
    expect(card.locator(".claim-mine")).to_contain_text("Assigned to you")
    expect(card.locator("textarea")).to_have_value(mine)
    assert page.evaluate("window.notReloaded") is True
    page.reload()
    expect(item(page, mention_id).locator("textarea")).to_have_value(mine)
    expect(item(page, mention_id).locator(".restored")).to_contain_text("unsaved text is back")
    # The session ends on the server (an admin reset, a restart, a timeout).
    uid = users.credentials(desk.store, "erin")["id"]
    with desk.store.atomic() as db:
        sessions.revoke_user(db, uid)
    item(page, mention_id).locator("button.save").click()
    expect(page.locator(".flash-error")).to_contain_text("Your session ended")
    expect(item(page, mention_id).locator("textarea")).to_have_value(mine)
    assert desk.draft(draft_id)["text"] == "Hi @casey, thanks for reaching out."
    log_in(page, "erin")
    card = item(page, mention_id)
    expect(card.locator("textarea")).to_have_value(mine)
    card.locator("button.save").click()
    expect(page.locator(".flash-ok")).to_have_text("Draft saved.")
    assert desk.draft(draft_id)["text"] == mine
    assert page.evaluate(f"localStorage.getItem('md-draft-{draft_id}')") is None
    ctx.close()


def test_saved_replies_notes_and_keys(as_user: Any, desk: Desk) -> None:
    first, first_draft = desk.seed("@acme my order never came", "Hi", handle="kai",
                                   priority=0.99)
    second, _ = desk.seed("@acme still waiting on my refund", "Hi", handle="lee",
                          priority=0.98)
    page = as_user("bob")
    item(page, first).locator(".row").click()
    page.keyboard.press("t")
    expect(page.locator("#saved")).to_be_visible()
    page.keyboard.press("1")  # "Ask for a DM"
    area = item(page, first).locator("textarea")
    expect(area).to_be_focused()
    expect(area).to_have_value(re.compile(r"^Hi @kai, we.re sorry about this\. Please send"))
    page.keyboard.press("Escape")
    page.keyboard.press("w")  # save
    expect(page.locator(".flash-ok")).to_have_text("Draft saved.")
    assert desk.draft(first_draft)["text"].startswith("Hi @kai, we're sorry")
    page.keyboard.press("n")
    page.keyboard.type("Called the depot, parcel found")
    page.keyboard.press("Enter")
    expect(item(page, first).locator(".notes .note")).to_contain_text("parcel found")
    page.keyboard.press("Escape")
    page.keyboard.press("s")  # skip: the next item is selected, the page stays put
    expect(page.locator(".flash-ok")).to_contain_text("end of your queue")
    expect(item(page, first)).to_have_count(0)
    expect(item(page, second)).to_have_class(re.compile(r"\bselected\b"))
    # A new urgent mention is announced without a reload.
    desk.clock.advance(1)
    desk.seed("@acme smoke coming out of the charger!", "Hi", handle="sky", priority=0.95)
    page.evaluate("poll()")
    expect(page.locator("#notices")).to_contain_text("1 new high-priority mention")


def test_undo_an_approval_from_the_keyboard(as_user: Any, desk: Desk) -> None:
    mention_id, draft_id = desk.seed("@acme the lamp buzzes", "Hi @casey, sorry! Please DM us.",
                                     priority=0.97)
    page = as_user("alice")
    item(page, mention_id).locator(".row").click()
    page.keyboard.press("a")
    expect(page.locator(".flash-ok")).to_contain_text("unless you undo it")
    expect(item(page, mention_id)).to_have_count(0)
    page.keyboard.press("u")
    expect(page.locator(".flash-ok")).to_contain_text("Undone")
    expect(item(page, mention_id)).to_have_count(1)  # back in place, without a reload
    assert desk.draft(draft_id)["status"] == "pending"


# --- list plus detail (issue 22) ------------------------------------------------------------

def counts_shown(page: Page) -> dict[str, Any]:
    """Every place the queue's count shows, as the page reads now."""
    return page.evaluate("""() => ({
        badge: document.querySelector('#total').textContent.trim(),
        nav: document.querySelector('[data-count=everything]').textContent.trim(),
        range: document.querySelector('[data-range]').textContent.trim(),
        all: [...document.querySelectorAll('.facet a:not([data-facet]) [data-count=total]')]
            .map(e => e.textContent.trim()),
        tones: [...document.querySelectorAll('a[data-facet=sentiment] .count')]
            .reduce((n, e) => n + Number(e.textContent), 0),
        rows: document.querySelectorAll('article.item').length })""")


def test_list_opens_one_item_beside_it_sorts_and_shows_the_customer(as_user: Any,
                                                                     desk: Desk) -> None:
    old, old_draft = desk.seed("@acme my hub was offline all weekend", "Hi @quinn, sorry!",
                               handle="quinn", name="Quinn Rivers", minutes_ago=60 * 24 * 5,
                               conversation="q-0", priority=0.05)
    drafts.approve(desk.store, old_draft, "bob", 1, desk.clock.now())
    desk.publish()
    inbox_note = desk.seed("@acme still offline, second time this month", "Hi @quinn",
                           handle="quinn", name="Quinn Rivers", priority=0.99,
                           conversation="q-1")[0]
    zed = desk.seed("@acme zzz question about bulbs", "Hi @zz", handle="zz_last",
                    priority=0.98)[0]
    page = as_user("alice")
    # One item is open (the first, on arrival): its detail is shown, no other's.
    expect(page.locator("article.item").first).to_have_class(re.compile(r"\bselected\b"))
    assert page.locator("article.item .detail:visible").count() == 1
    first = opened(page, inbox_note)
    expect(first.locator(".detail")).to_be_visible()
    assert page.locator("article.item .detail:visible").count() == 1
    # Its customer panel: the earlier conversation, what we answered, how it ended.
    panel = first.locator("section.customer")
    expect(panel).to_contain_text("2 mentions to us")
    expect(panel.locator(".past")).to_contain_text("hub was offline all weekend")
    expect(panel.locator(".past .ours")).to_contain_text("Hi @quinn, sorry!")
    expect(panel.locator(".past .outcome")).to_have_text("answered")
    # Another row opens its item in the same place; the URL names it.
    second = opened(page, zed)
    expect(second.locator(".detail")).to_be_visible()
    expect(first.locator(".detail")).to_be_hidden()
    zed_draft = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?", [zed])[0]["id"]
    assert f"open={zed_draft}" in page.url
    expect(second.locator("section.customer")).to_contain_text("1 mention to us")  # fetched
    # j / k move the opened item.
    index = page.locator("article.item").evaluate_all(
        f"els => els.findIndex(e => e.id === 'm{zed}')")
    page.keyboard.press("k")
    expect(page.locator("article.item").nth(index - 1)).to_have_class(
        re.compile(r"\bselected\b"))
    # Sorted by author: handles in order, whatever their priority.
    page.locator(".sorts a[data-sort=author]").click()
    page.wait_for_url("**sort=author**")
    handles = page.locator("article.item .r-who").all_inner_texts()
    assert handles == sorted(handles, key=str.lower) and len(handles) >= 2
    # The help overlay: ? opens it, Esc closes it.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("approve exactly the text shown")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    for mention_id in (inbox_note, zed):
        draft_id = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                    [mention_id])[0]["id"]
        drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())
    assert old


def test_counts_agree_everywhere_after_an_approval(as_user: Any, desk: Desk) -> None:
    ids = [desk.seed(f"@acme count me {i}", f"Hi @c{i}, thanks for reaching out.",
                     handle=f"c{i}", priority=0.9 - i / 100)[0] for i in range(3)]
    page = as_user("alice")
    before = counts_shown(page)
    n = int(before["badge"])
    assert before["nav"] == before["badge"] and before["tones"] == n
    assert before["range"] == f"1–{before['rows']} of {n}" and set(before["all"]) == {str(n)}
    opened(page, ids[0]).locator("button.approve").click()
    expect(page.locator(".flash-ok")).to_contain_text("Approved")
    expect(page.locator("#total")).to_have_text(str(n - 1))
    after = counts_shown(page)
    assert after["nav"] == after["badge"] == str(n - 1) and after["tones"] == n - 1
    assert after["range"] == f"1–{after['rows']} of {n - 1}"
    assert set(after["all"]) == {str(n - 1)}
    # A reload (the server's own count) says the same.
    page.reload()
    assert counts_shown(page) == after
    for mention_id in ids[1:]:
        draft_id = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                    [mention_id])[0]["id"]
        drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())


def test_the_article_line_follows_an_edit(as_user: Any, desk: Desk) -> None:
    url = "https://help.acme.example/pairing"
    mention_id = desk.seed("@acme how do I pair it?", f"Hi @casey, this helps: {url} ^Mia",
                           priority=0.99)[0]
    with desk.store.atomic() as db:
        db.execute("UPDATE drafts SET article_url = ? WHERE mention_id = ?", [url, mention_id])
    page = as_user("alice")
    card = opened(page, mention_id)
    expect(card.locator(".article-line")).to_contain_text(url)
    expect(card.locator(".article-gone")).to_be_hidden()
    card.locator("textarea").fill("Hi @casey, hold the button for five seconds. ^Mia")
    expect(card.locator(".article-gone")).to_be_visible()
    expect(card.locator(".article-gone")).to_contain_text("will not be sent")
    card.locator("button.save").click()
    expect(page.locator(".flash-ok")).to_have_text("Draft saved.")
    expect(item(page, mention_id).locator(".article-gone")).to_be_visible()  # redrawn
    draft_id = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                [mention_id])[0]["id"]
    drafts.reject(desk.store, draft_id, "alice", 2, "test clean-up", desk.clock.now())


def test_the_inbox_works_on_a_phone(browser: Browser, desk: Desk) -> None:
    ids = [desk.seed(f"@acme phone {i} my lamp is dead", f"Hi @p{i}, sorry!", handle=f"p{i}",
                     priority=0.97 - i / 100)[0] for i in range(2)]
    ctx = browser.new_context(base_url=desk.url, viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, "alice")
    page.wait_for_url("**/queue")
    # The queue comes first: the filters are folded, nothing is wider than the phone.
    expect(page.locator("details.filters")).not_to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    nav = page.locator(".topbar nav").bounding_box()
    head = page.locator(".queue-head").bounding_box()
    assert nav and head and nav["y"] + nav["height"] <= head["y"]  # no overlap
    assert page.locator("article.item .detail:visible").count() == 0
    # A tap opens the item under its row, with its actions in reach.
    card = opened(page, ids[1])
    row, detail = card.locator(".row").bounding_box(), card.locator(".detail").bounding_box()
    assert row and detail and detail["y"] >= row["y"] + row["height"] - 1
    assert detail["x"] >= 0 and detail["x"] + detail["width"] <= 390
    card.locator("button.approve").click()
    expect(page.locator(".flash-ok")).to_contain_text("Approved")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
    draft_id = desk.store.query("SELECT id FROM drafts WHERE mention_id = ?",
                                [ids[0]])[0]["id"]
    drafts.reject(desk.store, draft_id, "alice", 1, "test clean-up", desk.clock.now())


def test_admin_pages_fit_a_phone(browser: Browser, desk: Desk) -> None:
    """/health and /replies stuck out 315 and 176 px sideways at 390 px (their tables
    were wider than the phone): tables scroll inside their own box now."""
    ctx = browser.new_context(base_url=desk.url, viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, "root")
    page.wait_for_url("**/queue")
    for path in ("/health", "/replies", "/audit", "/users"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        table = page.locator("table.audit").first.bounding_box()
        assert table and table["width"] >= 300, path  # the table still fills the page
    ctx.close()


def test_the_audit_log_reads_on_a_phone(browser: Browser, desk: Desk) -> None:
    """At 390 px the audit's text columns were squeezed to a few letters each (a word
    may break anywhere), so one drafted reply made a row over 1000 px tall: the text
    cells keep a readable width now and the table scrolls sideways in its box."""
    mention_id, draft_id = desk.seed(
        "@acme the hub is offline again", "Hi @casey, sorry the hub dropped off. This "
        "guide should help: https://help.acme.example/hub/offline DM us if it doesn't.")
    drafts.reject(desk.store, draft_id, "alice", 1, "the guide is wrong for this hub",
                  desk.clock.now())
    ctx = browser.new_context(base_url=desk.url, viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    log_in(page, "vera")
    page.wait_for_url("**/queue")
    page.goto(f"/audit?mention={mention_id}")
    row = page.locator("tr.act-rejected")
    expect(row).to_contain_text("the guide is wrong")
    for cell in row.locator("td.text").all():
        if cell.inner_text():
            box = cell.bounding_box()
            assert box and box["width"] >= 150, cell.inner_text()
    box = row.bounding_box()
    assert box and box["height"] < 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()
