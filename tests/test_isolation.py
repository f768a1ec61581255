"""One bad row never stops a stage: it is set aside with its reason, shown by
`main.py doctor`, and the stage goes on with the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from config.settings import Settings
from core.errors import ConfigError, ModelError
from pipeline.jobs import Pipeline
from store import set_aside
from store.schema import open_store
from tests.support import REPO, Grumpy, mention_line
from tests.support.pipeline import make_pipeline


class Fussy(Grumpy):
    """A stand-in model that fails on any batch holding a text with "BOOM"."""

    def classify(self, texts):
        if any("BOOM" in t for t in texts):
            raise ModelError("tensor size mismatch")
        return super().classify(texts)


class Broken(Grumpy):
    def classify(self, texts):
        raise ModelError("model file unreadable")


LINES = [mention_line("1", "@lumora my order never arrived"),
         mention_line("2", "@lumora BOOM my parcel is lost"),
         mention_line("3", "@lumora I was charged twice")]


def statuses(pipeline: Pipeline) -> dict[str, str]:
    rows = pipeline.store.query("SELECT platform_id, status FROM mentions")
    return {r["platform_id"]: r["status"] for r in rows}


def test_a_text_the_model_fails_on_is_set_aside_and_the_rest_triaged(make_settings, clock):
    pipeline = make_pipeline(make_settings(LINES), Fussy(), clock)
    pipeline.run_once()
    assert statuses(pipeline) == {"1": "drafted", "2": "new", "3": "drafted"}
    [held] = set_aside.held(pipeline.store)
    assert held["stage"] == "triage" and "tensor size mismatch" in held["reason"]
    assert held["source"] == "replay"
    assert pipeline.triage_batch() == 0  # not retried on every tick


def test_texts_the_model_fails_on_side_by_side_or_alone_are_set_aside(make_settings, clock):
    lines = [mention_line("1", "@lumora BOOM one"), mention_line("2", "@lumora BOOM two"),
             mention_line("3", "@lumora fine")]
    pipeline = make_pipeline(make_settings(lines), Fussy(), clock)
    pipeline.run_once()
    assert statuses(pipeline) == {"1": "new", "2": "new", "3": "drafted"}
    assert set_aside.count(pipeline.store) == 2


def test_a_model_that_fails_on_everything_sets_nothing_aside(make_settings, clock):
    pipeline = make_pipeline(make_settings(LINES), Broken(), clock)
    pipeline.poll_source("replay")
    assert pipeline.triage_batch() == 0  # logged; the rows wait for a working model
    assert set_aside.count(pipeline.store) == 0
    assert set(statuses(pipeline).values()) == {"new"}


def test_a_renamed_brand_sets_its_rows_aside_and_release_retries_them(make_settings, clock,
                                                                       tmp_path):
    settings = make_settings(LINES)
    pipeline = make_pipeline(settings, Grumpy(), clock)
    pipeline.poll_source("replay")
    pipeline.store.db.execute("UPDATE mentions SET brand = 'Lumora Old' WHERE id = 1")
    pipeline.run_once()
    assert statuses(pipeline) == {"1": "new", "2": "drafted", "3": "drafted"}
    [held] = set_aside.held(pipeline.store)
    assert "no brand named 'Lumora Old'" in held["reason"]

    config = tmp_path / "config.toml"
    doctor = subprocess.run([sys.executable, "main.py", "doctor", "--config", str(config)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert doctor.returncode == 1
    assert f"set aside  #{held['id']} triage mention" in doctor.stdout
    assert "no brand named 'Lumora Old'" in doctor.stdout
    assert "PROBLEM    1 row set aside" in doctor.stdout

    # The operator fixes the cause, then releases the row: it is triaged this time.
    pipeline.store.db.execute("UPDATE mentions SET brand = 'Lumora' WHERE id = 1")
    released = subprocess.run(
        [sys.executable, "main.py", "--config", str(config), "doctor", "--release"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "released 1 row;" in released.stdout
    pipeline.run_once()
    assert statuses(pipeline)["1"] == "drafted"
    assert set_aside.count(pipeline.store) == 0


def test_brand_lookup_raises_our_error_not_stopiteration(make_settings):
    settings: Settings = make_settings([])
    with pytest.raises(ConfigError, match="no brand named 'Nope'"):
        settings.brand("Nope")


def test_malformed_stored_fields_set_the_row_aside(make_settings, clock):
    pipeline = make_pipeline(make_settings(LINES), Grumpy(), clock)
    pipeline.poll_source("replay")
    pipeline.store.db.execute("UPDATE mentions SET created_at = 'yesterday' WHERE id = 3")
    pipeline.run_once()
    assert statuses(pipeline) == {"1": "drafted", "2": "drafted", "3": "new"}
    assert "ValueError" in set_aside.held(pipeline.store)[0]["reason"]


def test_doctor_is_content_on_a_healthy_desk(make_settings, clock, tmp_path):
    settings = make_settings(LINES[:1])
    make_pipeline(settings, Grumpy(), clock).run_once()
    config = tmp_path / "config.toml"
    # The process lives at the test clock's time (doctor reads SLAs), whatever today is.
    days = (clock.now() - datetime.now(UTC)).total_seconds() / 86400
    doctor = subprocess.run([sys.executable, "main.py", "--config", str(config), "doctor"],
                            cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "MENTIONDESK_CLOCK_OFFSET_DAYS": f"{days:.6f}"})
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert ": writable, integrity ok, no migration pending\n" in doctor.stdout
    assert "source     replay (replay): last success 2026-11-23T09:00:00+00:00" in doctor.stdout
    assert "awaiting_approval 1" in doctor.stdout
    assert doctor.stdout.rstrip().endswith("ok")
    assert open_store(settings.app.database)  # still a good file


def test_a_row_that_cannot_be_drafted_is_set_aside_and_the_rest_drafted(make_settings,
                                                                          clock):
    pipeline = make_pipeline(make_settings(LINES), Grumpy(), clock)
    pipeline.poll_source("replay")
    while pipeline.triage_batch():
        pass
    pipeline.store.db.execute("UPDATE mentions SET brand = 'Gone' WHERE id = 2")
    pipeline.run_once()
    assert statuses(pipeline) == {"1": "drafted", "2": "needs_reply", "3": "drafted"}
    [held] = set_aside.held(pipeline.store)
    assert held["stage"] == "draft" and "no brand named 'Gone'" in held["reason"]
