"""Spike alerts: the rule by hand, then the shipped sample against a baseline of the
same hours on previous days, posted to a real webhook receiver on 127.0.0.1.

The sample's ten minutes are stretched to ten hours (one sample minute per hour).
A normal day is the sample with its outage minute (300-360 s) replaced by the minute
before it; each day leaves out a different tenth of the lines, so days differ."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import ManualClock
from core.mention import Author, Mention
from metrics.spikes import Rule, check, cooled_down, threshold
from pipeline.jobs import Pipeline
from store import mentions
from store.schema import open_store
from tests.support import SAMPLE
from tests.support.webhook import Receiver

DAY = datetime(2026, 11, 23, tzinfo=UTC)  # the day under test; 7 days of history before
SPIKE_SETTINGS = """
[metrics]
public_url = "https://desk.example"
"""


@pytest.fixture
def receiver(monkeypatch) -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    monkeypatch.setenv("MENTIONDESK_SPIKE_WEBHOOK_URL", r.url)
    yield r
    r.close()


def sample_lines() -> list[dict]:
    lines = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines() if x]
    return [x for x in lines if x["expected"]["category"] not in ("own", "excluded", "repost")]


def normal_day(lines: list[dict]) -> list[dict]:
    """The outage minute's lines replaced by a copy of the minute before."""
    kept = [x for x in lines if not 300 <= x["offset_s"] < 360]
    copied = [{**x, "offset_s": x["offset_s"] + 60, "id": x["id"] + "b"}
              for x in lines if 240 <= x["offset_s"] < 300]
    return sorted(kept + copied, key=lambda x: x["offset_s"])


def day_of(lines: list[dict], day: datetime) -> list[tuple[datetime, dict]]:
    """(created_at, line) for the lines kept on ``day``: a sample second is a minute."""
    rng = random.Random(day.toordinal())
    return [(day + timedelta(minutes=x["offset_s"]), x) for x in lines if rng.random() > 0.1]


def store_lines(store, items: list[tuple[datetime, dict]], now: datetime) -> None:
    """Store mentions and their triage as the pipeline would (labels from the sample)."""
    batch = [Mention(platform=x["platform"], platform_id=f"{at:%m%d}-{x['id']}",
                     text=x["text"], created_at=at, lang=x["lang"],
                     author=Author(x["author"]["id"], x["author"]["handle"],
                                   x["author"]["name"], x["author"]["followers"]))
             for at, x in items]
    mentions.save_poll(store, "replay", "Lumora", batch, {}, now)
    ids = {r["platform_id"]: r["id"] for r in store.query("SELECT id, platform_id FROM mentions")}
    records = []
    for (_, x), m in zip(items, batch, strict=True):
        e = x["expected"]
        records.append(mentions.TriageRecord(
            mention_id=ids[m.platform_id], label=e["sentiment"],
            scores={e["sentiment"]: 0.9}, complaint=e["category"] == "complaint",
            needs_reply=e["needs_reply"], optional=False, reason="sample", topic=e["topic"],
            priority=0.5, factors={}, model_name="sample", model_version="1"))
    mentions.save_triage(store, records, now)


def run_day(make_settings, outage: bool) -> tuple[Pipeline, list[str]]:
    """Seven normal days, then the day under test fed ten minutes at a time with the
    metrics job (rollups, spike check, delivery) run after each step."""
    settings = make_settings(extra=SPIKE_SETTINGS)
    store = open_store(settings.app.database)
    clock = ManualClock(DAY - timedelta(days=7))
    pipeline = Pipeline(store=store, settings=settings, classifier=None,  # type: ignore[arg-type]
                        sources={}, publishers={}, clock=clock)
    lines = sample_lines()
    for back in range(7, 0, -1):
        store_lines(store, day_of(normal_day(lines), DAY - timedelta(days=back)), DAY)
    clock.advance(days=7)
    pipeline.rollup_metrics()
    today = day_of(lines if outage else normal_day(lines), DAY)
    for step in range(0, 11 * 60, 10):
        start, end = DAY + timedelta(minutes=step), DAY + timedelta(minutes=step + 10)
        chunk = [(at, x) for at, x in today if start <= at < end]
        if chunk:
            store_lines(store, chunk, end)
        clock.advance(minutes=10)
        pipeline.rollup_metrics()
    hours_alerted = [r["hour"] for r in store.query("SELECT hour FROM spike_alerts")]
    return pipeline, hours_alerted


def test_the_rule_by_hand():
    rule = Rule(min_count=5, ratio=2.0, sigma=3.0, min_days=3)
    assert threshold([10, 10, 10], rule) == 20  # twice the mean; no spread
    assert check(19, [10, 10, 10], rule, "negative") is None
    found = check(20, [10, 10, 10], rule, "negative")
    assert found is not None and (found.count, found.mean, found.days) == (20, 10, 3)
    # A noisy baseline needs more: mean 20 + 3 sd (8.16) = 44.5 > 2 x 20.
    assert threshold([10, 20, 30], rule) == pytest.approx(44.49, abs=0.01)
    assert check(44, [10, 20, 30], rule, "volume") is None
    # Quiet hours: the minimum count decides; a brand without history gets no alerts.
    assert threshold([0, 1, 0], rule) == 5
    assert check(50, [10, 10], rule, "volume") is None
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert cooled_down(None, now, timedelta(hours=2))
    assert not cooled_down(now - timedelta(minutes=119), now, timedelta(hours=2))
    assert cooled_down(now - timedelta(minutes=120), now, timedelta(hours=2))


def test_a_normal_day_raises_no_alarm(make_settings, receiver):
    pipeline, alerted = run_day(make_settings, outage=False)
    assert alerted == []
    assert receiver.bodies == []
    # The day was not empty: its hours are in the rollups.
    hours = pipeline.store.query("SELECT count(DISTINCT hour) AS n FROM rollup_hourly"
                                 " WHERE hour >= '2026-11-23'")[0]["n"]
    assert hours == 10


def test_the_outage_raises_one_alert_with_examples_and_a_link(make_settings, receiver):
    _, alerted = run_day(make_settings, outage=True)
    assert alerted == ["2026-11-23T05"]  # the outage minute, stretched to an hour
    # The first post failed (HTTP 500); the next run delivered it, once.
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert "Spike for Lumora" in body["text"] and "negative mentions" in body["text"]
    assert ("https://desk.example/mentions?brand=Lumora&sentiment=negative"
            "&since=2026-11-23T05%3A00&until=2026-11-23T06%3A00") in body["text"]
    quoted = [line for line in body["text"].splitlines() if line.startswith("> @")]
    assert len(quoted) == 3
    outage_authors = {x["author"]["handle"] for x in sample_lines()
                      if 300 <= x["offset_s"] < 360 and x["expected"]["sentiment"] == "negative"}
    assert all(q[3:].split(" ")[0] in outage_authors for q in quoted)
    assert body["blocks"][0]["type"] == "header"
