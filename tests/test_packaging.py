"""`pip install .` gives a working `mentiondesk`: the wheel is built from a copy of the
checkout, installed into an empty directory, and run from elsewhere, so nothing can
come from the checkout or the working directory (the shared virtualenv provides only
the third-party dependencies)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

JUNK = shutil.ignore_patterns(".venv", ".git", "data", "build", "dist", "__pycache__",
                              "*.egg-info", ".pytest_cache", ".ruff_cache", "test-artifacts",
                              "tests", "bench", ".hypothesis")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pkg")
    shutil.copytree(REPO, root / "src", ignore=JUNK)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(root / "dist"), str(root / "src")],
                   check=True, capture_output=True, timeout=300)
    [wheel] = (root / "dist").glob("mentiondesk-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    "--target", str(root / "site"), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return root / "site"


def run(site: Path, cwd: Path, *args: str, stdin: str = "",
        home: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(site)}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([str(site / "bin" / "mentiondesk"), *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=300)


def test_the_wheel_holds_the_code_and_the_files_it_reads(installed):
    for path in ("main.py", "terminal/review.py", "web/templates/queue.html",
                 "web/templates/health.html", "web/static/app.css", "config/demo.toml",
                 "samples/lumora_mentions.jsonl", "sentiment/default_model/weights.safetensors",
                 "sentiment/default_model/encoder.onnx", "sentiment/default_model/sentence.onnx",
                 "sentiment/default_model/tokenizer.json",
                 "sentiment/default_model/heads.safetensors",
                 "sentiment/default_model/adapt_base.npz", "sentiment/outcome_head.npz",
                 "store/operations.py", "listener/x/source.py"):
        assert (installed / path).is_file(), path
    assert not (installed / "tests").exists()


def test_installed_commands_run_from_anywhere(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    help_ = run(installed, elsewhere, "--help")
    assert help_.returncode == 0 and "doctor" in help_.stdout
    demo = installed / "config" / "demo.toml"
    # The model serves from the installed files: nothing is exported or cached, so a
    # home where no ~/.cache can be made (a file, which stops root too) is no obstacle.
    home = tmp_path / "home-is-a-file"
    home.write_text("not a folder", encoding="utf-8")
    poll = run(installed, elsewhere, "--config", str(demo), "poll", "--once", home=home)
    assert poll.returncode == 0, poll.stderr
    assert " ERROR " not in poll.stderr, poll.stderr  # e.g. a file the package left out
    assert home.read_text(encoding="utf-8") == "not a folder"
    db = elsewhere / "data" / "demo.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT polls FROM sources").fetchone()[0] == 1
        model = conn.execute("SELECT DISTINCT model_name FROM triage").fetchall()
        # The demo's first poll backfills: mentions, their triage and drafts at once.
        triaged = conn.execute("SELECT count(*) FROM triage").fetchone()[0]
        drafted = conn.execute("SELECT count(*) FROM drafts").fetchone()[0]
    assert model == [("default",)]
    assert triaged >= 20 and drafted >= 5
    # The sub-command first, then --config, works too.
    doctor = run(installed, elsewhere, "doctor", "--config", str(demo))
    assert "integrity ok" in doctor.stdout, doctor.stderr
    # The review acts as a desk account, never as the login name.
    nobody = run(installed, elsewhere, "review", "--config", str(demo), stdin="")
    assert nobody.returncode == 2 and "--as NAME" in nobody.stderr
    added = run(installed, elsewhere, "--config", str(demo), "users", "add", "ann", "--role",
                "agent", "--password-stdin", stdin="a long pass phrase\n")
    assert added.returncode == 0, added.stderr
    review = run(installed, elsewhere, "review", "--as", "ann", "--config", str(demo),
                 stdin="")
    assert review.returncode == 0, review.stderr
    assert "Reviewing as ann" in review.stdout
    report = run(installed, elsewhere, "report", "--config", str(demo))
    assert report.returncode == 0, report.stderr
    # The outcome head ships too: a still-broken answer is decided, not just "no_answer".
    outcome = run(installed, elsewhere, "--config", str(demo), "outcome", "-",
                  stdin='{"reply": "Try a restart?", "customer": "tried that, still broken"}\n')
    assert outcome.returncode == 0, outcome.stderr
    assert '"outcome": "open"' in outcome.stdout, outcome.stdout


def test_installed_web_inbox_renders_from_the_package(installed, tmp_path):
    script = (
        "import web.app, sys\n"
        f"assert web.app.__file__.startswith({str(installed)!r}), web.app.__file__\n"
        "from starlette.testclient import TestClient\n"
        "from pipeline.settings import load_settings as load\n"
        "from core.clock import SystemClock\n"
        "from store.schema import open_store\n"
        "s = load(None)\n"
        "app = web.app.create_app(open_store('desk.db'), s, SystemClock(), 'x' * 32)\n"
        "c = TestClient(app)\n"
        "assert 'csrf_token' in c.get('/login').text\n"
        "assert c.get('/static/app.css').status_code == 200\n"
        "print('ok')\n")
    env = {**os.environ, "PYTHONPATH": str(installed), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr
