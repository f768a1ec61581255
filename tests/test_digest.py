"""The daily digest: local days in an explicit time zone, when it is due, its content
(numbers against the day before, the chart, urgent items, praise), written once and
posted to a webhook."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from metrics.digest import due_day, local_hours
from pipeline.jobs import refresh_metrics
from pipeline.reporting import write_digests
from store.operations import drafts_by_state
from store.schema import open_store
from tests.support.metrics import draft, reply, seed
from tests.support.webhook import Receiver

NEW_YORK = ZoneInfo("America/New_York")
DIGEST = """
[metrics]
timezone = "America/New_York"
digest_time = "08:00"
public_url = "https://desk.example"
"""


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


def test_local_days_and_when_the_digest_is_due():
    berlin = ZoneInfo("Europe/Berlin")
    assert len(local_hours(date(2026, 11, 23), berlin)) == 24
    assert len(local_hours(date(2026, 3, 29), berlin)) == 23  # clocks go forward
    autumn = local_hours(date(2026, 10, 25), berlin)
    assert len(autumn) == 25 and [label for _, label in autumn[2:4]] == ["02:00", "02:00"]
    assert local_hours(date(2026, 11, 23), NEW_YORK)[0] == ("2026-11-23T05", "00:00")
    # 07:59 in New York is 12:59 UTC: yesterday's digest is not due yet.
    assert due_day(ny(24, 7, 59).astimezone(UTC), NEW_YORK, "08:00") == date(2026, 11, 22)
    assert due_day(ny(24, 8, 0).astimezone(UTC), NEW_YORK, "08:00") == date(2026, 11, 23)
    # Just after midnight UTC it is still the evening before in New York.
    assert due_day(datetime(2026, 11, 25, 0, 30, tzinfo=UTC), NEW_YORK, "08:00") == date(
        2026, 11, 23)


def test_the_daemon_schedules_the_digest_beside_the_metrics_job(make_settings, clock):
    from pipeline.daemon import DIGEST_CHECK_SECONDS, build_scheduler
    from pipeline.jobs import Pipeline

    settings = make_settings(extra=DIGEST)
    pipeline = Pipeline(store=open_store(settings.app.database), settings=settings,
                        classifier=None, sources={}, publishers={},  # type: ignore[arg-type]
                        clock=clock)
    jobs = {job.id: job for job in build_scheduler(pipeline).get_jobs()}
    assert jobs["digest"].trigger.interval.total_seconds() == DIGEST_CHECK_SECONDS
    assert jobs["metrics"].trigger.interval.total_seconds() == 60
    pipeline.store.close()


def test_digest_content_written_once_and_posted(make_settings, monkeypatch):
    settings = make_settings(extra=DIGEST)
    store = open_store(settings.app.database)
    # The day before (Nov 22, New York): two mentions, both negative.
    seed(store, ny(22, 10), text="app keeps crashing")
    seed(store, ny(22, 23, 30), text="still broken")
    # Nov 23 local; 23:30 local is already Nov 24 in UTC and still counts for the 23rd.
    answered = seed(store, ny(23, 9), text="where is my order?")
    reply(store, answered, ny(23, 9, 5), ny(23, 9, 10), ny(23, 9, 20))
    for followers, text in ((120_000, "Lumora lights are gorgeous, whole flat glows"),
                            (50, "love my lumora lamp"),
                            (9_000, "the new hub setup took two minutes, great job")):
        seed(store, ny(23, 12), label="positive", needs_reply=False, followers=followers,
             text=text)
    urgent = []
    for i, priority in enumerate((0.3, 0.9, 0.5, 0.7, 0.2, 0.8)):
        mention = seed(store, ny(23, 23, 30), text=f"open question {i}", priority=priority)
        urgent.append((priority, f"open question {i}"))
        draft(store, mention, ny(23, 23, 31))
    refresh_metrics(store, ny(24, 7).astimezone(UTC), 60)

    receiver = Receiver()
    monkeypatch.setenv("MENTIONDESK_DIGEST_WEBHOOK_URL", receiver.url)
    try:
        assert write_digests(store, settings, ny(24, 7, 59).astimezone(UTC)) != []  # Nov 22's
        folder = settings.app.data_dir / "digests" / "Lumora"
        assert not (folder / "2026-11-23.html").exists()
        written = write_digests(store, settings, ny(24, 8, 1).astimezone(UTC))
        assert written == [str(folder / "2026-11-23.html")]
        assert write_digests(store, settings, ny(24, 9).astimezone(UTC)) == []  # once
        posted = [b["text"] for b in receiver.bodies]
    finally:
        receiver.close()

    text = (folder / "2026-11-23.txt").read_text(encoding="utf-8")
    html = (folder / "2026-11-23.html").read_text(encoding="utf-8")
    assert posted[-1] == text and len(posted) == 2
    assert "Lumora daily digest · Monday 23 November 2026 (America/New_York)" in text
    lines = text.splitlines()
    # 10 mentions against 2 the day before: +400%.
    assert any(line.startswith("Mentions") and " 10 " in line and "+400%" in line
               for line in lines)
    assert any(line.startswith("Replies") and " 1 " in line for line in lines)
    # Nothing to compare with is said in words, never a lone dash: no reply the day
    # before, so no first response time either.
    assert next(line for line in lines if line.startswith("Replies")).endswith(
        "(0 the day before)")
    assert next(line for line in lines if line.startswith("Median first response")).endswith(
        "(no data the day before)")
    assert not any("–" in line for line in lines[:12])
    top5 = [t for _, t in sorted(urgent, reverse=True)[:5]]
    listed = [line for line in lines if "open question" in line]
    assert [line.rsplit(": ", 1)[1] for line in listed] == top5
    praise = lines[lines.index("Notable praise:") + 1]
    assert "120,000 followers" in praise and "gorgeous" in praise
    assert "https://desk.example/dashboard?since=2026-11-17&until=2026-11-23&brand=Lumora" in text
    # The HTML version: the same figures, the chart, the links; user text escaped.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2 and "<title" in html
    week = lines[lines.index("The last seven days:") + 1:][:7]
    assert [w.split()[:2] for w in week] == [["Tue", "17"], ["Wed", "18"], ["Thu", "19"],
                                            ["Fri", "20"], ["Sat", "21"], ["Sun", "22"],
                                            ["Mon", "23"]]
    assert week[-2].endswith("##") and week[-1].count("#") == 7 and week[-1].count("+") == 3
    # Each bar says its count (a bar scaled to 40 characters hides it): 10 on the 23rd.
    assert [w.split()[2] for w in week] == ["0", "0", "0", "0", "0", "2", "10"]
    start = lines.index("Mentions per hour (count, then # negative, = neutral, + positive):")
    hours = lines[start + 1:start + 25]
    assert sum(int(h.split()[1]) for h in hours) == 10
    assert all(int(h.split()[1]) == sum(h.count(c) for c in "#=+") for h in hours)
    assert html.count('class="urgent"') == 5 and html.count('class="praise"') == 3
    assert "Open the dashboard" in html
    row = store.query("SELECT posted_at, error FROM digests WHERE day = '2026-11-23'")[0]
    assert row["posted_at"] and row["error"] == ""
    assert drafts_by_state(store)["pending"] == 6


def test_no_digest_for_a_day_before_the_brand_had_any_data(make_settings):
    """A fresh desk started on the 24th wrote (and posted) an all-zero digest for the
    23rd, a day it was not listening; the first digest is for a day with data, and a
    quiet day after that still gets one."""
    settings = make_settings(extra=DIGEST)
    store = open_store(settings.app.database)
    assert write_digests(store, settings, ny(24, 9).astimezone(UTC)) == []
    assert not (settings.app.data_dir / "digests").exists()
    assert store.query("SELECT count(*) AS n FROM digests")[0]["n"] == 0

    seed(store, ny(24, 10), text="hello lumora")
    refresh_metrics(store, ny(24, 11).astimezone(UTC), 60)
    assert write_digests(store, settings, ny(24, 12).astimezone(UTC)) == []  # still the 23rd
    folder = settings.app.data_dir / "digests" / "Lumora"
    assert write_digests(store, settings, ny(25, 9).astimezone(UTC)) == [
        str(folder / "2026-11-24.html")]
    assert write_digests(store, settings, ny(26, 9).astimezone(UTC)) == [
        str(folder / "2026-11-25.html")]  # a quiet day once listening: written
    store.close()


def test_digest_dry_run_prints_what_would_be_posted_and_posts_nothing(make_settings,
                                                                      tmp_path, monkeypatch,
                                                                      capsys):
    """`main.py digest --dry-run`: the text the daemon posts for the due day, printed
    from a read-only database; nothing posted, written or recorded. Then the daemon's
    job posts exactly that text."""
    import hashlib

    import main
    from core.clock import ManualClock

    settings = make_settings(extra=DIGEST)
    store = open_store(settings.app.database)
    seed(store, ny(22, 10), text="app keeps crashing")
    seed(store, ny(23, 9), text="where is my order?")
    seed(store, ny(23, 12), label="positive", needs_reply=False, followers=9_000,
         text="the new hub setup took two minutes, great job")
    refresh_metrics(store, ny(24, 7).astimezone(UTC), 60)
    store.close()
    before = hashlib.sha256(settings.app.database.read_bytes()).hexdigest()
    receiver = Receiver()
    monkeypatch.setenv("MENTIONDESK_DIGEST_WEBHOOK_URL", receiver.url)
    now = ny(24, 9).astimezone(UTC)
    config = ["--config", str(tmp_path / "config.toml"), "digest", "--dry-run"]
    try:
        assert main.main(config, ManualClock(now)) == 0
        shown = capsys.readouterr().out
        assert receiver.bodies == []
        assert hashlib.sha256(settings.app.database.read_bytes()).hexdigest() == before
        assert not (settings.app.data_dir / "digests").exists()
        store = open_store(settings.app.database)
        assert store.query("SELECT count(*) AS n FROM digests")[0]["n"] == 0
        assert write_digests(store, settings, now) != []
        store.close()
        posted = [b["text"] for b in receiver.bodies]
    finally:
        receiver.close()
    assert shown.startswith("Lumora daily digest · Monday 23 November 2026")
    assert posted == [shown]

    # Another day, asked for by name: the day before the first mention has none.
    assert main.main([*config, "--day", "2026-11-22", "--brand", "Lumora"],
                     ManualClock(now)) == 0
    assert capsys.readouterr().out.startswith("Lumora daily digest · Sunday 22 November")
    assert main.main([*config, "--day", "2026-11-21"], ManualClock(now)) == 0
    assert capsys.readouterr().out == (
        "No digest for Lumora on 2026-11-21: the brand's first mention came later.\n")
    assert main.main([*config, "--brand", "Lumra"], ManualClock(now)) == 1
    assert "digest: no brand named 'Lumra'" in capsys.readouterr().err
