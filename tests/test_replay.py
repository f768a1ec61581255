"""The replay source releases each line at its offset and resumes from its cursor."""

from __future__ import annotations

import json
from datetime import timedelta

from listener.replay.source import ReplaySource
from tests.support import mention_line


def source(settings, clock) -> ReplaySource:
    return ReplaySource(settings.sources[0], settings.brands[0], clock)


def test_mentions_arrive_at_their_offsets_and_resume_after_restart(make_settings, clock):
    settings = make_settings([
        mention_line("1", "@lumora hi", 0), mention_line("2", "@lumora a", 30),
        mention_line("3", "@lumora b", 90),
    ])
    first = source(settings, clock).poll(None)
    assert [m.platform_id for m in first.mentions] == ["1"]
    assert first.mentions[0].created_at == clock.now()
    clock.advance(60)
    # A new source object, as after a restart: the cursor alone carries the state.
    second = source(settings, clock).poll(first.cursor)
    assert [m.platform_id for m in second.mentions] == ["2"]
    assert source(settings, clock).poll(second.cursor).mentions == []
    clock.advance(60)
    assert [m.platform_id for m in source(settings, clock).poll(second.cursor).mentions] == ["3"]


def test_reposts_own_posts_exclusions_and_other_brands_are_dropped(make_settings, clock):
    settings = make_settings([
        mention_line("1", "RT @ann: Lumora rocks", kind="repost"),
        mention_line("2", "Our new bulbs are out!", author={"id": "b", "handle": "lumora"}),
        mention_line("3", "Dinner in Lumora Falls tonight"),
        mention_line("4", "nothing to see here"),
        mention_line("5", "my lumora strip died"),
    ])
    assert [m.platform_id for m in source(settings, clock).poll(None).mentions] == ["5"]


def test_hostile_text_and_bad_lines(make_settings, clock, tmp_path):
    hostile = ("@lumora <script>alert(1)</script> Lu\u200bmora \u202eevil\u202c "
               + "x" * 20_000)
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(mention_line("1", hostile)) + "\n{not json\n"
                    + json.dumps(mention_line("3", "@lumora ok")) + "\n", encoding="utf-8")
    settings = make_settings(mentions=path)
    poll = source(settings, clock).poll(None)
    assert [m.text for m in poll.mentions] == [hostile, "@lumora ok"]
    assert poll.cursor["position"] == 3
    assert len(poll.notes) == 1 and "line 2" in poll.notes[0]


def test_a_first_poll_backfills_then_the_replay_goes_on(make_settings, clock):
    """The demo's first poll shows work: lines within backfill_seconds come at once,
    dated at their offsets in the past; the rest still arrive over time."""
    settings = make_settings([
        mention_line("1", "@lumora hi", 0), mention_line("2", "@lumora a", 100),
        mention_line("3", "@lumora b", 200),
    ])
    replay = settings.sources[0].model_copy(update={"backfill_seconds": 120, "speed": 2.0})
    first = ReplaySource(replay, settings.brands[0], clock).poll(None)
    assert [m.platform_id for m in first.mentions] == ["1", "2"]
    assert first.mentions[0].created_at == clock.now() - timedelta(seconds=60)
    assert first.mentions[1].created_at == clock.now() - timedelta(seconds=10)
    clock.advance(30)  # 60 s of sample time at speed 2: offset 180 is due, 200 is not
    assert ReplaySource(replay, settings.brands[0], clock).poll(first.cursor).mentions == []
    clock.advance(10)
    later = ReplaySource(replay, settings.brands[0], clock).poll(first.cursor)
    assert [m.platform_id for m in later.mentions] == ["3"]


def test_the_installed_demo_backfills_its_first_poll():
    from config.loader import load
    from tests.conftest import REPO

    assert load(REPO / "config" / "demo.toml", env={}).sources[0].backfill_seconds > 0
