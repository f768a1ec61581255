"""The mentions behind a dashboard point, over in-process HTTP (starlette TestClient):
every bar, point and row leads to a list as long as the number it shows, the time
range and author filters hold in the list and the queue, and bad values are said, not
a 500."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from config.settings import BrandSettings, Settings, WebSettings
from core.clock import ManualClock
from metrics.period import Period
from pipeline.jobs import refresh_metrics
from store import users
from store.schema import open_store
from tests.support.metrics import draft, reply, seed
from web import auth
from web.app import create_app
from web.dashboard import tables
from web.filters import moment, read

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
PART = re.compile(r'<a href="([^"]+)"><rect [^>]*><title>[^<]*: (\d+)</title></rect></a>')


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Four days, two brands, three platforms; every kind of mention a chart counts:
    answered complaints, praise needing nothing, drafts waiting, untriaged posts."""
    store = open_store(tmp_path_factory.mktemp("mentions") / "desk.db")
    pending = []
    for day in range(20, 24):
        for hour in (9, 14):
            base = datetime(2026, 11, day, hour, 0, tzinfo=UTC)
            answered = seed(store, base, topic="billing", handle="tessa", followers=250_000)
            reply(store, answered, base + timedelta(minutes=2), base + timedelta(minutes=5),
                  base + timedelta(minutes=6))
            seed(store, base + timedelta(minutes=10), label="positive", platform="reddit",
                 needs_reply=False)
            pending.append(seed(store, base + timedelta(minutes=20), label="neutral",
                                handle=f"casey{hour}", followers=50))
            seed(store, base + timedelta(minutes=59, seconds=59), label=None,
                 platform="bluesky")
            seed(store, base + timedelta(minutes=30), brand="Nova", topic="billing")
    for i, mention_id in enumerate(pending):
        draft(store, mention_id, NOW - timedelta(hours=1, minutes=i))
    seed(store, datetime(2026, 11, 22, 12, tzinfo=UTC), label="negative",
         handle="mallory", text="<script>alert('x')</script> broken")
    refresh_metrics(store, NOW, 60)
    clock = ManualClock(NOW)
    for name, role in (("vera", "viewer"), ("alice", "agent")):
        users.add(store, name, role, auth.hash_password(PASSWORD), NOW)
    settings = Settings(brands=[BrandSettings(name="Lumora", handles=["lumora"]),
                                BrandSettings(name="Nova", handles=["nova"])],
                        web=WebSettings(page_size=5))
    app = create_app(store, settings, clock, "mentions-secret-" + "z" * 20)
    yield {"store": store, "app": app}
    store.close()


def client(world: dict[str, Any], name: str) -> TestClient:
    c = TestClient(world["app"], follow_redirects=False)
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      c.get("/login").text).group(1)
    assert c.post("/login", data={"csrf_token": token, "username": name,
                                  "password": PASSWORD, "next": "/queue"}).status_code == 303
    return c


@pytest.fixture(scope="module")
def vera(world: dict[str, Any]) -> TestClient:
    return client(world, "vera")


def listed(c: TestClient, url: str) -> int:
    page = c.get(url)
    assert page.status_code == 200, url
    return int(re.search(r'data-total="(\d+)"', page.text).group(1))


@pytest.mark.parametrize(("since", "until", "brand"), [
    ("2026-11-20", "2026-11-23", ""),  # per day
    ("2026-11-22", "2026-11-23", "Lumora"),  # per hour
])
def test_every_point_lists_as_many_mentions_as_it_counts(world, vera, since, until,
                                                         brand) -> None:
    query = f"since={since}&until={until}" + (f"&brand={brand}" if brand else "")
    page = vera.get(f"/dashboard?{query}")
    # Each platform's part of a volume bar and each tone's part of a tone bar.
    parts = []
    for chart, narrowed in (("chart-volume", "platform="), ("chart-tone", "sentiment=")):
        svg = re.search(f'id="{chart}".*?</svg>', page.text, re.S).group(0)
        found = [(html.unescape(href), int(n)) for href, n in PART.findall(svg)]
        assert len(found) >= 6 and all(narrowed in h for h, _ in found)
        parts += found
    for href, n in parts:
        assert href.startswith("/mentions?")
        assert listed(vera, href) == n, href
    # Each row of the tables whose rows count mentions.
    period = Period(date.fromisoformat(since), date.fromisoformat(until))
    shown = {t.name: t for t in tables(world["store"], period,
                                       {"brand": brand, "platform": "", "topic": ""})[1]}
    checked = 0
    for name, column in (("volume", "total"), ("topics", "mentions"),
                         ("authors", "mentions"), ("sla", "needs_reply"),
                         ("sentiment", "triaged")):
        table = shown[name]
        assert table.rows and len(table.links) == len(table.rows)
        for row, link in zip(table.rows, table.links, strict=True):
            assert listed(vera, link) == row[column], (name, row, link)
            checked += 1
    assert checked >= 10
    topics = {r["topic"] for r in shown["topics"].rows}
    assert "-" in topics  # the untriaged posts: a topic of their own, listed too


def test_the_list_holds_every_kind_of_mention_the_queue_leaves_out(world, vera) -> None:
    day = "since=2026-11-21&until=2026-11-22"
    assert listed(vera, f"/mentions?{day}") == 10
    assert listed(vera, f"/mentions?{day}&status=no_action") == 2  # the praise
    assert listed(vera, f"/mentions?{day}&status=replied") == 2
    page = vera.get(f"/mentions?{day}&brand=Lumora&platform=x")
    assert page.text.count("<tr data-mention=") == 4
    assert page.text.count('class="orig" href="https://x.example/') == 4
    # Paged: five a page, newest first; the second page holds the rest.
    first = vera.get(f"/mentions?{day}").text
    second = vera.get(f"/mentions?{day}&page=2").text
    times = re.findall(r"<td><time datetime=\"([^\"]+)\"", first + second)
    assert len(times) == 10 and times == sorted(times, reverse=True)
    assert "page 1 of 2" in first and "page 2 of 2" in second


def test_time_range_and_author_filters(world, vera) -> None:
    # An hour: [10:00, 11:00) holds nothing; [09:00, 10:00) holds its five, the
    # one posted at 09:59:59 included.
    assert listed(vera, "/mentions?since=2026-11-21T10:00&until=2026-11-21T11:00") == 0
    assert listed(vera, "/mentions?since=2026-11-21T09:00&until=2026-11-21T10:00") == 5
    # Offsets are converted to UTC: 10:00+01:00 is 09:00 UTC.
    assert listed(vera, "/mentions?since=2026-11-21T10:00%2B01:00"
                        "&until=2026-11-21T10:00Z") == 5
    # Author: the handle in any case, with or without "@".
    assert listed(vera, "/mentions?author=%40Tessa") == 8
    assert listed(vera, "/mentions?author=tessa&since=2026-11-23") == 2


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", "2026-11-20T25:00",
                                 "0001-01-01T00:00%2B05:00", "%27%3B--"])
def test_a_bad_date_is_ignored_with_a_note_not_a_500(world, vera, bad) -> None:
    for path in ("/mentions", "/queue"):
        page = vera.get(f"{path}?since={bad}&brand=Nova")
        assert page.status_code == 200
        assert "Ignored since=" in page.text and 'role="alert"' in page.text
    assert listed(vera, f"/mentions?since={bad}&brand=Nova") == 8  # the brand still holds


def test_the_queue_narrows_by_time_and_author_with_true_counts(world) -> None:
    alice = client(world, "alice")

    def queued(query: str) -> tuple[int, int]:
        page = alice.get(f"/queue?{query}").text
        total = int(re.search(r'id="total">(\d+)<', page).group(1))
        return total, page.count('<article class="item')

    assert queued("") == (8, 5)  # page size 5
    assert queued("since=2026-11-22") == (4, 4)
    assert queued("since=2026-11-22&until=2026-11-22T12:00") == (1, 1)
    assert queued("author=casey9") == (4, 4)
    assert queued("author=casey9&since=2026-11-23") == (1, 1)
    page = alice.get("/queue?author=casey9&since=2026-11-23").text
    # The narrowing is shown and each part can be removed; the filter counts agree.
    assert "by <strong>@casey9</strong>" in page
    assert 'href="/queue?author=casey9"' in page  # "×" beside the start
    assert re.search(r'data-facet="platform" data-value="x">\s*<span[^>]*>x</span>\s*'
                     r'<span class="count">1</span>', page)


def test_the_list_is_read_only_and_escapes_what_people_wrote(world, vera) -> None:
    page = vera.get("/mentions?author=mallory").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; broken" in page
    assert "<script>alert" not in page
    assert page.count('method="post"') == 1  # log-out only
    # A viewer may read the queue (pipeline.actions.PERMISSIONS), so the link is theirs
    # too; it leads to a read-only queue (no write button for them there).
    assert 'href="/queue?author=mallory"' in page
    queue = vera.get("/queue?author=mallory").text
    assert queue.count('method="post"') == 1 and "/approve" not in queue
    agent = client(world, "alice").get("/mentions?author=mallory&status=needs_reply").text
    assert 'href="/queue?author=mallory"' in agent  # agents: the same, waiting for them
    assert TestClient(world["app"], follow_redirects=False).get(
        "/mentions").status_code == 303  # logged out: to the log-in page


def test_reading_filters() -> None:
    assert moment("2026-11-20") == "2026-11-20T00:00:00+00:00"
    assert moment("2026-11-20T10:30") == "2026-11-20T10:30:00+00:00"
    assert moment("2026-11-20 10:30:00Z") == "2026-11-20T10:30:00+00:00"
    assert moment("2026-11-20T01:00+02:00") == "2026-11-19T23:00:00+00:00"
    assert moment("2026-02-30") is None and moment("soon") is None
    filters, notes = read({"since": "2026-11-21", "until": "2026-11-20", "author": " @ann "},
                          ("since", "until", "author", "brand"))
    assert filters == {"since": "2026-11-21T00:00:00+00:00",
                       "until": "2026-11-20T00:00:00+00:00", "author": "ann", "brand": ""}
    assert notes == ["The range is empty: 'since' must come before 'until'."]
