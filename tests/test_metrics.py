"""Rollups: hand-computed hours, late replies rebuilding an old hour, empty hours, and
only changed hours being rebuilt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from metrics.rollup import (
    APPROVAL_BUCKETS,
    EDGES,
    FRT_BUCKETS,
    DraftFact,
    MentionFact,
    histogram_percentile,
    percentile,
    rollup,
)
from pipeline.jobs import refresh_metrics
from store import drafts
from tests.support.metrics import at, draft, reply, seed

T9 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SLA = 60  # minutes


def cell(store, hour="2026-11-23T09", topic="delivery", lang="en"):
    rows = store.query("SELECT * FROM rollup_hourly WHERE hour = ? AND topic = ? AND lang = ?",
                       [hour, topic, lang])
    return rows[0] if rows else None


@pytest.fixture
def nine(store):
    """Hour 09 as in the module docstring of each assertion below."""
    m = {}
    m[1] = seed(store, at(T9, 5), handle="big", followers=1000)
    reply(store, m[1], at(T9, 6), at(T9, 15), at(T9, 20))  # 15 min, approved in 9 min
    m[2] = seed(store, at(T9, 10), followers=10)
    reply(store, m[2], at(T9, 11), at(T9, 41), at(T9, 90), edited=True)  # 80 min: late
    m[3] = seed(store, at(T9, 30), label="positive", needs_reply=False, followers=50)
    m[4] = seed(store, at(T9, 40), label="neutral", followers=7)
    d4 = draft(store, m[4], at(T9, 41))
    drafts.reject(store, d4, "ann", 1, "spam", at(T9, 50))  # closed without a reply
    m[5] = seed(store, at(T9, 50), label=None, followers=3)  # not triaged yet
    m[6] = seed(store, at(T9, 55), label="neutral", followers=2)  # still unanswered
    m[7] = seed(store, at(T9, 58), label="positive", lang="fr", needs_reply=False,
                followers=900, handle="big_fr")
    return m


def test_an_hour_by_hand(store, nine):
    assert refresh_metrics(store, at(T9, 120), SLA) >= 1
    row = cell(store)
    assert (row["volume"], row["negative"], row["neutral"], row["positive"]) == (5, 2, 2, 1)
    assert row["complaints"] == 2
    # m1, m2, m6 need a reply; m4 was closed by an agent's rejection.
    assert (row["needs_reply"], row["answered"], row["replies"]) == (3, 2, 2)
    # m2 was answered after 80 min; m6 has waited 65 min at 11:00. m1 was in time.
    assert row["sla_breaches"] == 2
    assert (row["frt_sum_s"], row["frt_median_s"], row["frt_p90_s"]) == (5700, 2850, 4800)
    assert [row[b] for b in FRT_BUCKETS] == [0, 1, 0, 0, 1, 0, 0, 0, 0]
    # Approval turnaround: 9 min (m1) and 30 min (m2, edited first).
    assert (row["approvals"], row["approval_median_s"], row["approval_p90_s"]) == (2, 1170, 1800)
    assert [row[b] for b in APPROVAL_BUCKETS][:3] == [0, 1, 1]
    assert (row["accepted_unedited"], row["accepted_edited"], row["rejected"]) == (1, 1, 1)
    assert row["reach"] == 1000 + 10 + 50 + 7 + 2

    untriaged = cell(store, topic="-")
    assert (untriaged["volume"], untriaged["negative"], untriaged["needs_reply"]) == (1, 0, 0)
    french = cell(store, lang="fr")
    assert (french["volume"], french["positive"], french["reach"]) == (1, 1, 900)

    day = store.query("SELECT sum(volume) AS v, sum(reach) AS r FROM rollup_daily")[0]
    assert (day["v"], day["r"]) == (7, 1000 + 10 + 50 + 7 + 3 + 2 + 900)
    tops = store.query("SELECT handle, followers, mentions FROM rollup_daily_authors"
                       " ORDER BY followers DESC LIMIT 2")
    assert [(t["handle"], t["mentions"]) for t in tops] == [("big", 1), ("big_fr", 1)]
    # The compatibility view keeps old readers working.
    old = store.query("SELECT sum(volume) AS v, sum(replies) AS r FROM metrics_hourly")[0]
    assert (old["v"], old["r"]) == (7, 2)


def test_a_late_reply_rebuilds_its_old_hour_and_only_changed_hours_are_rebuilt(store, nine):
    refresh_metrics(store, at(T9, 120), SLA)
    assert cell(store)["answered"] == 2
    assert store.query("SELECT count(*) AS n FROM rollup_dirty")[0]["n"] == 0

    # A day later nothing changed: nothing is rebuilt.
    later = at(T9, 0, days=1)
    assert refresh_metrics(store, later, SLA) == 0

    # m6 (09:55) gets its answer the next day: only hour 09 is rebuilt.
    reply(store, nine[6], later, at(later, 5), at(later, 10))
    assert store.query("SELECT hour FROM rollup_dirty") == [{"hour": "2026-11-23T09"}]
    assert refresh_metrics(store, at(later, 15), SLA) == 1
    row = cell(store)
    assert (row["answered"], row["replies"], row["sla_breaches"]) == (3, 3, 2)
    assert row[FRT_BUCKETS[7]] == 1  # answered 23h15m later: the 8–24h bucket
    assert store.query("SELECT sum(replies) AS r FROM rollup_daily WHERE day = '2026-11-23'"
                       )[0]["r"] == 3


def test_rollups_stand_alone_when_raw_mentions_are_purged(store, nine):
    refresh_metrics(store, at(T9, 120), SLA)
    before = store.query("SELECT * FROM rollup_hourly ORDER BY topic, lang")
    days = store.query("SELECT * FROM rollup_daily ORDER BY topic")
    with store.atomic() as db:  # what a retention job does with old raw rows
        for table in ("drafts", "triage"):
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM mentions")
    assert refresh_metrics(store, at(T9, 0, days=3), SLA) == 0
    assert store.query("SELECT * FROM rollup_hourly ORDER BY topic, lang") == before
    assert store.query("SELECT * FROM rollup_daily ORDER BY topic") == days


def test_an_undone_approval_counts_once_and_only_real_edits_count_as_edits(store):
    mention = seed(store, at(T9, 5))
    draft_id = draft(store, mention, at(T9, 6))
    drafts.approve(store, draft_id, "ann", 1, at(T9, 10))
    refresh_metrics(store, at(T9, 11), SLA)
    assert (cell(store)["approvals"], cell(store)["accepted_unedited"]) == (1, 1)
    version = drafts.unapprove(store, draft_id, "ann", at(T9, 9), at(T9, 12))  # undo
    refresh_metrics(store, at(T9, 13), SLA)
    assert (cell(store)["approvals"], cell(store)["accepted_unedited"]) == (0, 0)
    drafts.approve(store, draft_id, "ann", version, at(T9, 20))  # same text again
    refresh_metrics(store, at(T9, 21), SLA)
    row = cell(store)
    assert (row["accepted_unedited"], row["accepted_edited"], row["approval_median_s"]) == (
        1, 0, 14 * 60)


def test_hours_with_no_data_have_no_rows_and_an_open_mention_breaches_by_time(store):
    seed(store, at(T9, 10))
    seed(store, at(T9, 10, hours=2))  # 11:10; nothing at 10
    refresh_metrics(store, at(T9, 30, hours=2), SLA)  # 11:30
    hours = [r["hour"] for r in store.query("SELECT DISTINCT hour FROM rollup_hourly")]
    assert hours == ["2026-11-23T09", "2026-11-23T11"]
    assert cell(store, "2026-11-23T11")["sla_breaches"] == 0
    # No row changes, but at 12:20 the 11:10 mention has waited 70 minutes.
    refresh_metrics(store, at(T9, 20, hours=3), SLA)
    assert cell(store, "2026-11-23T11")["sla_breaches"] == 1


def test_rollup_rows_have_exactly_the_table_columns(store, nine):
    rows, authors = rollup([MentionFact("2026-11-23T09", "B", "x", "t", "en", "negative", True,
                                        True, "h", 5, None, 10.0)],
                           [DraftFact("2026-11-23T09", "B", "x", "t", "en", "pending", False,
                                      None)],
                           3600)
    with store.reading() as db:
        columns = {c.name for c in db["rollup_hourly"].columns}
        author_columns = {c.name for c in db["rollup_authors"].columns}
    assert set(rows[0]) == columns
    assert set(authors[0]) == author_columns


def test_percentiles():
    assert percentile([60, 300, 120], 0.5) == 120
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([], 0.5) is None
    # Two replies in <=5m, two in 5-15m: the median is the 5m edge, p75 halfway to 15m.
    counts = [2, 2] + [0] * (len(EDGES) - 1)
    assert histogram_percentile(counts, 0.5) == 300
    assert histogram_percentile(counts, 0.75) == 600
    assert histogram_percentile([0] * len(FRT_BUCKETS), 0.5) is None
    assert histogram_percentile([0] * (len(EDGES)) + [3], 0.9) == EDGES[-1]
