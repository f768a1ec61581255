"""The marketing dashboard in a real browser (Debian's chromium via Playwright) against
the app on a free port over a real SQLite file filled through the store."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium",
                allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402

from config.settings import BrandSettings, Settings  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from pipeline.jobs import refresh_metrics  # noqa: E402
from store import users  # noqa: E402
from store.schema import open_store  # noqa: E402
from tests.support.metrics import draft, reply, seed  # noqa: E402
from web.auth import hash_password  # noqa: E402
from web.server import WebService  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
RANGE = "since=2026-11-20&until=2026-11-23"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Four days of two brands: Lumora 3 mentions a day (one answered), Nova 1 a day."""
    tmp = tmp_path_factory.mktemp("dash")
    store = open_store(tmp / "desk.db")
    clock = ManualClock(NOW)
    pending = None
    for day in range(4):
        base = datetime(2026, 11, 20 + day, 10, 0, tzinfo=UTC)
        answered = seed(store, base, platform="x", topic="billing", handle="tessa",
                        followers=250_000)
        reply(store, answered, base + timedelta(minutes=2), base + timedelta(minutes=8),
              base + timedelta(minutes=10))
        seed(store, base + timedelta(minutes=20), label="positive", platform="reddit",
             topic="delivery", needs_reply=False)
        pending = seed(store, base + timedelta(minutes=30), label="neutral", platform="x",
                       topic="delivery")
        seed(store, base + timedelta(minutes=40), brand="Nova", platform="x", topic="billing")
    draft_id = draft(store, pending, NOW - timedelta(hours=1))
    refresh_metrics(store, NOW, 60)
    for name, role in (("vera", "viewer"), ("alice", "agent")):
        users.add(store, name, role, hash_password(PASSWORD), NOW)
    settings = Settings(brands=[BrandSettings(name="Lumora", handles=["lumora"]),
                                BrandSettings(name="Nova", handles=["nova"])])
    service = WebService(store, settings, clock, host="127.0.0.1", port=0,
                         session_secret="dash-secret-" + "x" * 20)
    service.start()
    yield {"url": service.url, "store": store, "draft_id": draft_id}
    service.stop()
    store.close()


def _logged_in_viewer(browser: Browser, served: dict, **viewport: int
                      ) -> tuple[BrowserContext, Page]:
    """A browser context logged in as the viewer, on the dashboard."""
    ctx = browser.new_context(base_url=served["url"], **(
        {"viewport": {"width": viewport["width"], "height": viewport["height"]}}
        if viewport else {}))
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.goto("/login?next=/dashboard")
    page.fill("input[name=username]", "vera")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    return ctx, page


@pytest.fixture
def viewer(browser: Browser, served: dict) -> Iterator[Page]:
    ctx, page = _logged_in_viewer(browser, served)
    yield page
    ctx.close()


def table_rows(page: Page, name: str) -> list[list[str]]:
    """The table's values (each cell's data-value: shown formatted for people, 48.9 %,
    96,391; the drill-down link column left out)."""
    table = page.locator(f"table[data-table={name}]")
    width = table.locator("thead th[data-key]").count()
    return [[c.strip() for c in row[:width]] for row in
            table.locator("tbody tr").evaluate_all(
                "rows => rows.map(r => [...r.cells].map(c => c.dataset.value ?? c.textContent))")]


def shown_rows(page: Page, name: str) -> list[list[str]]:
    """The table's cells as people read them."""
    return page.locator(f"table[data-table={name}] tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def summary_value(page: Page, metric: str) -> str:
    return next(r[1] for r in table_rows(page, "summary") if r[0] == metric)


def test_dashboard_renders_charts_with_data(viewer: Page) -> None:
    viewer.goto(f"/dashboard?{RANGE}")
    expect(viewer.locator("h1")).to_have_text("Reputation dashboard")
    charts = viewer.locator("svg.chart")
    assert charts.count() == 8
    # Each chart is named for assistive technology and has axis labels.
    for i in range(charts.count()):
        chart = charts.nth(i)
        assert chart.get_attribute("role") == "img"
        assert chart.locator("title").first.text_content()
        assert chart.locator("desc").first.text_content()
    assert summary_value(viewer, "Mentions") == "16"
    assert summary_value(viewer, "Replies") == "4"
    volume = table_rows(viewer, "volume")
    assert volume[0] == ["2026-11-20", "1", "3", "4", "0"]  # reddit, x, total, previous
    authors = table_rows(viewer, "authors")
    assert authors[0][:3] == ["x", "tessa", "250000"]
    viewer.screenshot(path=str(REPO / "test-artifacts" / "dashboard.png"), full_page=True)
    # A bar leads to the mentions behind it: x's part of the first day's bar lists
    # exactly the 3 mentions the table counts for that day and platform.
    viewer.locator("#chart-volume a").nth(1).click()
    viewer.wait_for_url("**/mentions?platform=x&since=2026-11-20&until=2026-11-21")
    expect(viewer.locator("#total")).to_have_text(volume[0][2])
    expect(viewer.locator("table.mention-list tbody tr")).to_have_count(3)
    viewer.screenshot(path=str(REPO / "test-artifacts" / "mentions.png"), full_page=True)


def test_filters_change_the_numbers(viewer: Page) -> None:
    viewer.goto(f"/dashboard?{RANGE}")
    viewer.select_option("select[name=brand]", "Nova")
    viewer.click("form.dash-filters button[type=submit]")
    viewer.wait_for_url("**brand=Nova**")
    assert summary_value(viewer, "Mentions") == "4"
    assert summary_value(viewer, "Replies") == "0"
    viewer.select_option("select[name=brand]", "Lumora")
    viewer.select_option("select[name=platform]", "reddit")
    viewer.click("form.dash-filters button[type=submit]")
    viewer.wait_for_url("**platform=reddit**")
    assert summary_value(viewer, "Mentions") == "4"
    assert summary_value(viewer, "Positive") == "4"
    drill = viewer.locator("table[data-table=topics] a.drill").first
    assert drill.get_attribute("href").startswith(
        "/mentions?brand=Lumora&platform=reddit&topic=delivery&since=2026-11-20")
    # The previous period is aligned day by day: Nov 18-20 beside Nov 21-23.
    viewer.goto("/dashboard?since=2026-11-21&until=2026-11-23")
    assert [r[-1] for r in table_rows(viewer, "volume")] == ["0", "0", "4"]
    assert [r[-1] for r in table_rows(viewer, "sentiment")] == ["", "", "-0.25"]
    assert viewer.locator("#chart-volume polyline[stroke-dasharray]").count() == 1
    # One day: hourly buckets, compared with the day before.
    viewer.goto("/dashboard?since=2026-11-22&until=2026-11-22")
    assert len(table_rows(viewer, "volume")) == 24
    assert next(r for r in shown_rows(viewer, "summary") if r[0] == "Mentions")[1:4] == [
        "4", "4", "+0%"]
    # The cell keeps the number the export carries: a fraction of the previous value.
    assert next(r for r in table_rows(viewer, "summary") if r[0] == "Mentions")[1:] == [
        "4", "4", "0.0"]


def test_an_export_matches_its_table(viewer: Page) -> None:
    viewer.goto(f"/dashboard?{RANGE}&brand=Lumora")
    for name in ("volume", "topics", "summary"):
        href = viewer.locator(f"#{name} a.download", has_text="CSV").get_attribute("href")
        response = viewer.request.get(href)
        assert response.ok
        exported = list(csv.reader(io.StringIO(response.text())))
        shown = table_rows(viewer, name)
        headings = viewer.locator(f"table[data-table={name}] thead th[data-key]")
        keys = [headings.nth(i).get_attribute("data-key") for i in range(headings.count())]
        as_json = viewer.request.get(href.replace(".csv", ".json")).json()
        json_rows = [[str(v) if v is not None else "" for v in r.values()]
                     for r in as_json["rows"]]
        if name == "summary":
            # One "change" on the page; the export splits it by unit into two number
            # columns, exactly one of them filled (or neither, "no data").
            assert keys[-1] == "change"
            assert exported[0] == [*keys[:-1], "relative_change", "difference"]
            assert [[*r[:-2], r[-2] or r[-1]] for r in exported[1:]] == shown
            assert not any(r[-2] and r[-1] for r in exported[1:])
            assert json_rows == exported[1:]
            continue
        assert exported[0] == keys
        assert exported[1:] == shown
        assert json_rows == shown


def test_logged_out_gets_no_numbers_and_unknown_exports_are_404(
        browser: Browser, viewer: Page, served: dict) -> None:
    anonymous = browser.new_context(base_url=served["url"])
    response = anonymous.request.get("/dashboard/volume.csv", max_redirects=0)
    assert response.status == 303 and "/login" in response.headers["location"]
    anonymous.close()
    assert viewer.request.get("/dashboard/nothing.csv").status == 404
    assert viewer.request.get("/dashboard/volume.xlsx").status == 404


def test_a_viewer_cannot_reach_agent_actions(viewer: Page, served: dict) -> None:
    viewer.goto("/dashboard")
    expect(viewer.locator("form[method=post]")).to_have_count(1)  # log-out only
    viewer.goto("/queue")
    expect(viewer.locator("button.approve, button.save, form.reject")).to_have_count(0)
    token = viewer.locator("meta[name=csrf-token]").get_attribute("content")
    draft_id = served["draft_id"]
    response = viewer.request.post(f"/drafts/{draft_id}/approve",
                                   form={"csrf_token": token, "version": "1"})
    assert response.status == 403
    status = served["store"].query("SELECT status FROM drafts WHERE id = ?", [draft_id])
    assert status[0]["status"] == "pending"


def test_kpi_tiles_first_formatted_with_no_data_instead_of_none(viewer: Page) -> None:
    viewer.goto(f"/dashboard?{RANGE}")
    tiles = viewer.locator(".tiles .tile")
    assert tiles.count() == 8
    # The tiles come before any chart or table.
    assert viewer.evaluate("""() => {
        const t = document.querySelector('.tiles'), c = document.querySelector('svg.chart');
        return !!(t.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING); }""")
    value = lambda key: viewer.locator(f"[data-kpi={key}] .tile-value").inner_text()  # noqa: E731
    assert value("volume") == "16"
    assert value("response_rate") == "33.3 %"  # 4 answered of 12 needing a reply
    assert value("frt_median_min").endswith(" min")
    # The outcomes hook: no outcome columns yet, so "no data", never None or 1.0.
    for key in ("resolution_rate", "predicted_csat"):
        assert value(key) == "no data"
    body = viewer.locator("main").inner_text()
    assert "None" not in body and "0.489" not in body
    # Shares read as percentages and reach with separators; the exports keep raw values.
    topics = shown_rows(viewer, "topics")
    assert all(r[4].endswith(" %") for r in topics)
    assert shown_rows(viewer, "authors")[0][2] == "250,000"
    # A tile leads to its table, one click away.
    viewer.locator("[data-kpi=complaints]").click()
    assert viewer.url.endswith("#topics")
    # Nova's period had no reply: the SLA and first response say so.
    viewer.goto(f"/dashboard?{RANGE}&brand=Nova")
    assert value("sla_compliance") in ("no data", "0.0 %")
    assert "None" not in viewer.locator("main").inner_text()
    assert viewer.locator("#response .note").inner_text().startswith("No first reply")


def test_authors_chart_labels_never_overlap_at_phone_width(browser: Browser,
                                                           served: dict) -> None:
    ctx, page = _logged_in_viewer(browser, served, width=390, height=844)
    page.goto(f"/dashboard?{RANGE}")
    boxes = page.locator("#chart-authors a text:first-child").evaluate_all(
        "ts => ts.map(t => { const b = t.getBoundingClientRect(); return [b.top, b.bottom]; })")
    assert boxes
    for (_, bottom), (top, _) in pairwise(boxes):
        assert top >= bottom - 0.5  # one row per author
    # Nothing sticks out of the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()


def test_the_authors_table_fits_its_card_on_a_desktop(viewer: Page) -> None:
    """With the demo's longest handles the table was 14 px wider than its card at
    1366 px: the box scrolled and the "mentions →" arrow was cut off."""
    viewer.set_viewport_size({"width": 1366, "height": 800})
    viewer.goto(f"/dashboard?{RANGE}")
    widths = viewer.locator("table[data-table=authors]").evaluate(
        """t => { for (const r of t.tBodies[0].rows) {
                    r.cells[0].textContent = 'reddit';
                    r.cells[1].textContent = 'sparky_electrician';
                    r.cells[2].textContent = '248,300'; }
                  return [t.scrollWidth, t.closest('.table-scroll').clientWidth]; }""")
    assert widths[0] <= widths[1], widths
    drill = viewer.locator("#authors a.drill").first.bounding_box()
    card = viewer.locator("#authors").bounding_box()
    assert drill["x"] + drill["width"] <= card["x"] + card["width"]


def test_charts_over_time_open_on_their_newest_days_on_a_phone(browser: Browser,
                                                                 served: dict) -> None:
    """At 390 px a chart over time scrolls sideways; it opened on the oldest days, so
    the newest (on the demo the only ones with mentions) were out of sight."""
    ctx, page = _logged_in_viewer(browser, served, width=390, height=844)
    page.goto("/dashboard?since=2026-11-16&until=2026-11-23")
    places = page.locator("figure.chart-wrap").evaluate_all(
        "fs => fs.map(f => [f.querySelector('svg').id, f.scrollWidth > f.clientWidth,"
        " Math.round(f.scrollLeft + f.clientWidth) >= f.scrollWidth - 1, f.scrollLeft])")
    over_time = {"chart-volume", "chart-tone", "chart-sentiment", "chart-sla"}
    assert {c for c, wide, _, _ in places if wide} >= over_time
    for chart, _, at_end, left in places:
        if chart in over_time:
            assert at_end, chart  # the newest day in sight
        elif chart != "chart-authors":
            assert left == 0, chart  # a chart of topics or buckets starts at its first
    ctx.close()


def test_mentions_times_stay_on_one_line(viewer: Page) -> None:
    viewer.set_viewport_size({"width": 1366, "height": 800})
    viewer.goto(f"/mentions?{RANGE}")
    lines = viewer.locator("table.mention-list td time").evaluate_all(
        "ts => ts.map(t => t.getClientRects().length)")
    assert lines and set(lines) == {1}
