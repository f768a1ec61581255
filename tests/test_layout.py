"""The package rules the layout promises, checked on the source: arrows run one way between
the top-level packages (every import counts, also inside functions and under TYPE_CHECKING),
every module imports on its own, sandboxes share no code with the clients they fake, the
store imports nothing above it, and the responder and sentiment packages know no platform."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from listener.platforms import PLATFORMS
from tests.support import REPO


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


# The rooms of ../shared/DESIGN.md, top to bottom: a package imports only its own room's
# packages or lower ones (stages may use each other as long as no cycle forms).
ROOMS = {
    "main": 4, "web": 4, "terminal": 4,
    "pipeline": 3,
    "listener": 2, "sentiment": 2, "responder": 2, "metrics": 2,
    "store": 1,
    "config": 0, "core": 0,
    "sandbox": 2, "samples": 0,  # the fake networks (they use core), and shipped data
}


def product_modules() -> dict[str, list[Path]]:
    """Top-level package (or ``main``) -> its Python files."""
    found = {name: sorted((REPO / name).rglob("*.py")) for name in ROOMS if name != "main"}
    found["main"] = [REPO / "main.py"]
    return found


def package_edges() -> dict[str, dict[str, str]]:
    """package -> {package it imports: the first file and name that does}, counting every
    absolute import anywhere in the file (functions, TYPE_CHECKING blocks included)."""
    edges: dict[str, dict[str, str]] = {name: {} for name in ROOMS}
    for package, files in product_modules().items():
        for path in files:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in edges and top != package:
                        edges[package].setdefault(top, f"{path.relative_to(REPO)}: {name}")
    return edges


def test_no_package_is_missing_from_the_rooms():
    packages = {p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()}
    assert packages - {"tests", "bench"} == set(ROOMS) - {"main"}


def test_no_cycle_between_top_level_packages():
    edges = package_edges()

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            here = todo.pop()
            if here == goal:
                return True
            if here not in seen:
                seen.add(here)
                todo.extend(edges[here])
        return False

    cycles = [f"{a} <-> {b} ({where})" for a in edges for b, where in edges[a].items()
              if reaches(b, a)]
    assert cycles == []


def test_arrows_run_down_the_rooms():
    upward = [f"{a} imports {b} ({where})" for a, targets in package_edges().items()
              for b, where in targets.items() if ROOMS[b] > ROOMS[a]]
    assert upward == []


# Heavy third-party libraries the parent loads once before forking: they cannot take part
# in a cycle of ours, and loading them per module would make this test slow.
PRELOAD = ["pydantic", "numpy", "starlette.applications", "starlette.testclient",
           "starlette.templating", "starlette.staticfiles", "jinja2", "sqlite_utils",
           "atproto", "tweepy", "praw", "torch", "transformers", "onnxruntime", "tokenizers",
           "apscheduler.schedulers.background", "argon2", "httpx", "prometheus_client",
           "itsdangerous", "requests"]

FRESH_IMPORTS = textwrap.dedent("""
    import importlib, json, os, sys
    modules, preload = json.loads(sys.argv[1]), json.loads(sys.argv[2])
    for lib in preload:
        try:
            importlib.import_module(lib)
        except ImportError:
            pass
    failed, running = [], {}

    def reap():
        pid, status = os.wait()
        if status:
            failed.append(running[pid])
        del running[pid]

    for module in modules:
        if len(running) >= 2:
            reap()
        pid = os.fork()
        if pid == 0:  # a fresh interpreter as far as our packages go
            try:
                importlib.import_module(module)
            except BaseException as exc:
                print(f"{module}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                os._exit(1)
            os._exit(0)
        running[pid] = module
    while running:
        reap()
    print(json.dumps(sorted(failed)))
""")


def module_names() -> list[str]:
    names = []
    for files in product_modules().values():
        for path in files:
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return sorted(names)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_every_module_imports_on_its_own():
    """Each module is imported first, in a process where none of our packages is loaded
    yet: an import cycle hidden by the order a test happens to import things fails here."""
    modules = module_names()
    assert len(modules) > 100
    result = subprocess.run(
        [sys.executable, "-c", FRESH_IMPORTS, json.dumps(modules), json.dumps(PRELOAD)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == [], result.stderr[-4000:]


def test_tests_import_no_other_test_module():
    """Shared helpers live in tests/support/; a test module importing another one (or the
    conftest) would run that module's tests' set-up and couple unrelated files."""
    wrong = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            wrong += [f"{path.relative_to(REPO)}: {n}" for n in names
                      if n.startswith("tests") and not n.startswith("tests.support")
                      and n != "tests"]
    assert wrong == []


# Accounts and log-in sessions are the web's own state, not the desk's rows (web/auth.py,
# the Users page, `users` commands write them); the health probe (operations.status) writes
# only a TEMP table.
NOT_DESK_WRITES = {"users": "*", "sessions": "*", "operations": {"writable", "status"}}


def store_writers() -> dict[str, set[str]]:
    """store module -> its functions that write (SQL that changes rows, a transaction,
    or a call to another writer of the same module)."""
    import re

    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "store").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        bodies = {node.name: ast.get_source_segment(source, node) or ""
                  for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
        writes = {name for name, body in bodies.items() if re.search(
            r"\.atomic\(|\b(INSERT|UPDATE|DELETE|REPLACE)\b|\.(insert|upsert)\(", body)}
        grew = True
        while grew:
            more = {name for name, body in bodies.items() if name not in writes
                    and any(re.search(rf"\b{w}\(", body) for w in writes)}
            writes |= more
            grew = bool(more)
        found[path.stem] = writes
    return found


def test_interfaces_write_only_through_the_agent_actions():
    """web/, terminal/ and main.py change desk rows only through pipeline/actions.py (or
    the daemon's jobs): no call to a store function that writes, however imported."""
    writers = store_writers()
    assert {"claim", "assign"} <= writers["claims"] and "add_note" in writers["inbox"]
    calls = []
    files = [REPO / "main.py", *sorted((REPO / "web").rglob("*.py")),
             *sorted((REPO / "terminal").rglob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: dict[str, str] = {}  # local name -> store module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "store":
                names |= {a.asname or a.name: a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("store."):
                module = node.module.split(".", 1)[1]
                calls += [f"{path.relative_to(REPO)}: {module}.{a.name}" for a in node.names
                          if a.name in writers.get(module, ())]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in names):
                module = names[node.value.id]
                if node.attr in writers.get(module, ()):
                    calls.append(f"{path.relative_to(REPO)}:{node.lineno} {module}.{node.attr}")
    def allowed(call: str) -> bool:
        module, function = call.split()[-1].split(".")
        exempt = NOT_DESK_WRITES.get(module, ())
        return exempt == "*" or function in exempt

    assert [c for c in calls if not allowed(c)] == []
