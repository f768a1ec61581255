"""`main.py report`: ranges, filters, formats, and that it never writes."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import main
from metrics.report import COLUMNS
from pipeline.jobs import refresh_metrics
from store.schema import open_store
from tests.support.metrics import reply, seed

DAY1 = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, 15, tzinfo=UTC)


def fingerprint(db: Path) -> list[str]:
    """The database's bytes, committed and in the write-ahead log (a reader may leave an
    empty log file behind, which holds nothing)."""
    files = (db, db.with_name(db.name + "-wal"))
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in files
            if p.exists() and p.stat().st_size]


def test_report_reads_rollups_in_every_format_and_writes_nothing(make_settings, tmp_path,
                                                                  capsys):
    settings = make_settings()
    store = open_store(settings.app.database)
    answered = seed(store, DAY1)
    reply(store, answered, DAY1.replace(minute=1), DAY1.replace(minute=5),
          DAY1.replace(minute=12))
    seed(store, DAY1.replace(minute=30), label="positive", needs_reply=False)
    seed(store, DAY2, platform="reddit", label="neutral")
    refresh_metrics(store, datetime(2026, 11, 22, tzinfo=UTC), 60)
    seed(store, DAY2.replace(minute=40), platform="reddit")  # not rolled up yet
    store.close()
    config = tmp_path / "config.toml"
    before = fingerprint(settings.app.database)

    def report(*extra: str) -> str:
        assert main.main(["--config", str(config), "report", "--since", "2026-11-20",
                          "--until", "2026-11-21", *extra]) == 0
        return capsys.readouterr().out

    rows = json.loads(report("--format", "json"))
    assert [(r["period"], r["platform"], r["volume"]) for r in rows] == [
        ("2026-11-20", "x", 2), ("2026-11-21", "reddit", 1)]
    first = rows[0]
    assert (first["negative"], first["positive"], first["net_sentiment"]) == (1, 1, 0.0)
    assert (first["needs_reply"], first["replies"], first["response_rate"]) == (1, 1, 1.0)
    assert (first["accepted_unedited"], first["sla_breaches"]) == (1, 0)

    exported = list(csv.DictReader(io.StringIO(report("--format", "csv", "--platform",
                                                      "reddit"))))
    assert list(exported[0]) == [k for k, _ in COLUMNS]
    assert [(r["period"], r["volume"]) for r in exported] == [("2026-11-21", "1")]

    hourly = json.loads(report("--by", "hour", "--format", "json"))
    assert [r["period"] for r in hourly] == ["2026-11-20T10", "2026-11-21T15"]

    text = report()
    assert "2026-11-20" in text and "net" in text
    assert "note: 1 hour changed since the daemon's last rollup refresh" in text

    out = tmp_path / "exports" / "r.csv"
    report("--format", "csv", "--output", str(out))
    assert out.read_text(encoding="utf-8").startswith("period,brand,platform,volume")

    assert fingerprint(settings.app.database) == before


def _rolled_up(make_settings, tmp_path) -> Path:
    """A desk with a mention on 2025-06-02 and one on 2026-11-20, rolled up; returns
    the config file."""
    settings = make_settings()
    store = open_store(settings.app.database)
    seed(store, datetime(2025, 6, 2, 9, tzinfo=UTC))
    seed(store, DAY1)
    refresh_metrics(store, datetime(2026, 11, 22, tzinfo=UTC), 60)
    store.close()
    return tmp_path / "config.toml"


def test_report_refuses_a_malformed_or_reversed_period_in_one_line(make_settings, tmp_path,
                                                                   capsys):
    """A period the marketer mistyped is an error naming it, never the default week
    printed as if it were the answer."""
    config = _rolled_up(make_settings, tmp_path)
    for bad in (["--since", "2026-13-01"], ["--until", "yesterday"],
                ["--since", "2026-11-20T10"], ["--until", "0001-01-01"]):
        with pytest.raises(SystemExit) as stopped:
            main.main(["--config", str(config), "report", *bad])
        assert stopped.value.code == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert f"argument {bad[0]}: not a day (YYYY-MM-DD" in captured.err
        assert f"'{bad[1]}'" in captured.err
        assert "Traceback" not in captured.err

    code = main.main(["--config", str(config), "report", "--since", "2026-11-21",
                      "--until", "2026-11-20"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert captured.err == ("mentiondesk: report: --since 2026-11-21 is after --until "
                            "2026-11-20\n")


def test_report_keeps_a_range_longer_than_a_year_whole(make_settings, tmp_path, capsys):
    """The dashboard draws at most a year; an export asked for 2025-01-01..2026-11-30
    holds every day of it (it was cut to the last 366 days without a word)."""
    config = _rolled_up(make_settings, tmp_path)
    assert main.main(["--config", str(config), "report", "--since", "2025-01-01",
                      "--until", "2026-11-30", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["period"] for r in rows] == ["2025-06-02", "2026-11-20"]


def test_report_names_a_brand_it_does_not_know(make_settings, tmp_path, capsys):
    """A mistyped brand is an error, not "no mentions" as if the brand had a quiet week;
    a configured brand with a quiet period still reports."""
    config = _rolled_up(make_settings, tmp_path)
    code = main.main(["--config", str(config), "report", "--brand", "Lumra"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert captured.err.startswith("mentiondesk: report: no brand named 'Lumra' in the "
                                   "settings (Lumora")
    assert main.main(["--config", str(config), "report", "--brand", "Lumora",
                      "--since", "2026-11-01", "--until", "2026-11-02",
                      "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
