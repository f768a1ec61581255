"""Shared test fixtures."""

from __future__ import annotations

import pytest

from config.settings import ModelSettings


@pytest.fixture(scope="session")
def classifier():
    """The shipped default model, loaded once per test session (loading takes seconds)."""
    from sentiment.transformer import load_classifier

    return load_classifier(ModelSettings())


# --- foundation fixtures ----------------------------------------------------------
import textwrap  # noqa: E402
from pathlib import Path  # noqa: E402

from core.clock import ManualClock  # noqa: E402
from pipeline.settings import load_settings as load  # noqa: E402
from store.schema import open_store  # noqa: E402
from tests.support import BASE_TOML, write_jsonl  # noqa: E402


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium (Debian's, driven by Playwright) for the session's browser
    tests; their modules skip themselves when /usr/bin/chromium is missing."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
        yield b
        b.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_settings(tmp_path):
    """Settings from BASE_TOML plus extra TOML, with replay ``lines`` as the source."""

    def make(lines: list[dict] | None = None, extra: str = "", mentions: Path | None = None):
        if mentions is None:
            mentions = write_jsonl(tmp_path / "mentions.jsonl", lines or [])
        config = tmp_path / "config.toml"
        config.write_text(BASE_TOML.format(tmp=tmp_path, mentions=mentions)
                          + textwrap.dedent(extra), encoding="utf-8")
        return load(config, env={})

    return make


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "desk.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def embedder():
    """The base sentence encoder, loaded once per test session."""
    from sentiment.embedding import Embedder

    return Embedder.load()
