"""The package rules the layout promises, checked on the source: sandboxes share no code
with the clients they fake, the store imports nothing above it, and the responder and
sentiment packages know no platform."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from listener.platforms import PLATFORMS
from tests.conftest import REPO


def imports(package: str) -> dict[str, set[str]]:
    """Module file -> the top-level-qualified names it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{file}: {name}" for file, names in imports(package).items()
            for name in sorted(names) if name.startswith(forbidden)]


def test_sandboxes_import_nothing_from_the_clients_they_fake():
    assert offenders("sandbox", ("listener", "responder")) == []


def test_the_store_imports_nothing_above_it():
    above = ("listener", "responder", "sentiment", "pipeline", "web", "terminal", "metrics",
             "config", "sandbox", "main")
    assert offenders("store", above) == []


@pytest.mark.parametrize("package", ["responder", "sentiment"])
def test_responder_and_sentiment_know_no_platform(package):
    folders = tuple(f"listener.{name}" for name in PLATFORMS)
    assert offenders(package, (*folders, "tweepy", "praw", "atproto")) == []


def test_every_platform_is_one_folder_with_its_settings():
    for name in PLATFORMS:
        folder = REPO / "listener" / name
        assert (folder / "__init__.py").is_file() and (folder / "settings.py").is_file()
    assert not Path(REPO / "responder" / "publisher.py").exists()
