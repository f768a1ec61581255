"""Every command a user can type has help and a row in the README's command table: a
command added without either fails here, not in front of a new operator."""

from __future__ import annotations

import argparse
import re

import main
from tests.support import REPO


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
             ) -> list[tuple[tuple[str, ...], str | None]]:
    """(command words, its help) for every subcommand, nested ones included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append(((*prefix, name), helps.get(name)))
                found += commands(sub, (*prefix, name))
    return found


def readme_rows() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [line for line in table.splitlines() if line.startswith("| `python main.py ")]


def test_every_command_has_help():
    found = commands(main.build_parser())
    assert len(found) > 15
    assert [words for words, help in found if not (help or "").strip()] == []


def test_every_command_is_in_the_readme_table():
    rows = readme_rows()
    missing = []
    for words, _ in commands(main.build_parser()):
        top, rest = words[0], words[1:]
        cells = [re.split(r"(?<!\\)\|", r)[1] for r in rows
                 if re.match(rf"\| `python main\.py {re.escape(top)}\b", r)]
        if not any(all(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", cell) for w in rest)
                   for cell in cells):
            missing.append(" ".join(words))
    assert missing == []
