"""Screenshots of the inbox and the dashboard as a new agent and analyst see them.

The demo sample goes through the real pipeline (the shipped model, the encoder, the
demo brand's templates and knowledge base) into a fresh SQLite file; a few drafts are
approved and posted so the dashboard has replies; then the web app is served and
headless Chromium (Playwright, /usr/bin/chromium) renders the queue, an opened item's
detail, the dashboard and /mentions (as an agent), /replies and /health (as an admin)
at 1366 px and 390 px wide into
test-artifacts/screens/*.png. It prints each file with the page's height and whether
anything sticks out sideways, so a layout regression shows as a number too.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/bench_screens.py [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

import main
from config.loader import load
from core.clock import ManualClock
from core.errors import ActionRefused
from pipeline.actions import Actions
from store import drafts, users
from web.auth import hash_password
from web.server import WebService

REPO = Path(__file__).resolve().parent.parent
WIDTHS = {"desktop": (1366, 800), "phone": (390, 844)}
PASSWORD = "a long pass phrase"
WIDEST = """w => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > w + 1)
  .filter(e => { for (let a = e.parentElement; a; a = a.parentElement)
    if (['auto', 'hidden', 'scroll'].includes(getComputedStyle(a).overflowX)) return false;
    return true; })
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
  .slice(0, 3).map(e => { const chain = []; for (let a = e; a && a !== document.body;
    a = a.parentElement) chain.push(a.tagName.toLowerCase() + (a.id ? '#' + a.id : '')
    + (a.classList.length ? '.' + [...a.classList].join('.') : '')
    + ':' + Math.round(a.getBoundingClientRect().width));
    return chain.slice(0, 8).join(' < '); })"""
ACCOUNTS = {"mia": "agent", "ada": "admin"}  # who looks at which pages (PAGES)
SHOT_HEIGHT = 1800  # a long page is cut here: what a first look sees is what matters


def fill(tmp: Path) -> tuple[object, object, ManualClock]:
    """The demo replayed at once through every stage; some replies approved and posted."""
    settings = load(REPO / "config" / "demo.toml",
                    env={"MENTIONDESK_APP_DATABASE": str(tmp / "screens.db"),
                         "MENTIONDESK_APP_DATA_DIR": str(tmp)})
    clock = ManualClock()
    pipeline = main.build_pipeline(settings, clock)
    pipeline.poll_source(settings.sources[0].name)  # starts the replay's clock
    clock.advance(minutes=11)  # the whole sample (ten minutes) has come
    pipeline.run_once()
    actions = Actions(pipeline.store, settings, clock)
    for row in drafts.pending(pipeline.store)[:8]:
        try:
            actions.approve(row["draft_id"], "mia", row["version"])
        except ActionRefused:  # a draft the policy refuses stays pending
            continue
    clock.advance(seconds=settings.pipeline.undo_seconds + 1)
    clock.advance(minutes=20)
    pipeline.run_once()
    for name, role in ACCOUNTS.items():
        users.add(pipeline.store, name, role, hash_password(PASSWORD), clock.now())
    return pipeline.store, settings, clock


def main_(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store, settings, clock = fill(Path(tmp))
        service = WebService(store, settings, clock, host="127.0.0.1", port=0,
                             session_secret="screens-" + "x" * 24)
        service.start()
        today = (clock.now() - timedelta(days=0)).date().isoformat()
        pages = {"mia": {
            "queue": "/queue",
            "detail": None,  # the queue with its third item opened (under its row on a phone)
            "dashboard": f"/dashboard?since={today}&until={today}",
            "mentions": "/mentions",
        }, "ada": {"replies": "/replies", "health": "/health"}}
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium")
                for (width, height), name in ((w, n) for w in WIDTHS.values()
                                              for n in ACCOUNTS):
                    ctx = browser.new_context(base_url=service.url,
                                              viewport={"width": width, "height": height})
                    page = ctx.new_page()
                    page.goto("/login")
                    page.fill("input[name=username]", name)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url("**/queue")
                    for shot, path in pages[name].items():
                        if path is None:
                            page.goto("/queue")
                            page.locator("article.item .row").nth(2).click()
                            page.wait_for_timeout(400)  # the customer panel arrives
                            page.evaluate("document.querySelector('article.item.selected')"
                                          ".scrollIntoView()")
                        else:
                            page.goto(path)
                            page.evaluate("window.scrollTo(0, 0)")
                        file = out / f"{shot}-{width}.png"
                        wide = page.evaluate("document.documentElement.scrollWidth")
                        tall = page.evaluate("document.documentElement.scrollHeight")
                        if shot == "detail":
                            page.screenshot(path=str(file))
                        else:  # the page from its top, at most SHOT_HEIGHT px of it
                            page.screenshot(path=str(file), full_page=True, clip={
                                "x": 0, "y": 0, "width": width,
                                "height": min(tall, SHOT_HEIGHT)})
                        print(f"{file.relative_to(REPO) if file.is_relative_to(REPO) else file}"
                              f"  page {width}x{tall} px, content width {wide} px"
                              f"{'  (sticks out sideways)' if wide > width else ''}")
                        if wide > width:
                            print("    widest:", page.evaluate(WIDEST, width))
                    ctx.close()
                browser.close()
        finally:
            service.stop()
            store.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "test-artifacts" / "screens")
    raise SystemExit(main_(parser.parse_args().out))
