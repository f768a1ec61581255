"""How agents received each template and option: approved as drafted, edited, or
rejected. Pure: rows come from ``store.drafts.outcomes``. Weak templates show
themselves as a low unedited share, and ``by_kind`` shows whether the AI model earns
its place beside the templates and past replies."""

from __future__ import annotations

from collections import defaultdict
from difflib import SequenceMatcher
from typing import Any

OUTCOMES = ("unedited", "edited", "rejected")
KINDS = ("template", "past", "ai")


def _name(option: dict[str, Any]) -> str:
    if option["kind"] == "past":
        return "past approved reply"
    if option["kind"] == "ai":
        return f"ai draft ({option.get('model') or 'model'})"
    return f"template {option['template']}"


def offered(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything a draft offered: its template text first, then its options."""
    return [{"kind": "template", "text": row["first_text"], "template": row["template"]},
            *(row["options"] or [])]


def chosen(row: dict[str, Any], text: str) -> tuple[dict[str, Any], bool]:
    """(the offered option ``text`` came from, whether it is unedited): the one it equals,
    else the closest."""
    options = offered(row)
    for option in options:
        if text == option["text"]:
            return option, True
    return max(options, key=lambda o: SequenceMatcher(None, o["text"], text).ratio()), False


def written_by(row: dict[str, Any], text: str) -> str:
    """Who wrote an approved text, for the audit: "written by ai draft (llama3.1)",
    "edited from template default#0"."""
    option, unedited = chosen(row, text)
    return f"{'written by' if unedited else 'edited from'} {_name(option)}"


def outcome(row: dict[str, Any]) -> tuple[str, str]:
    """(what was offered, what the agent did) for one decided draft. An edited text is
    credited to the offered option it is closest to."""
    if row["status"] == "rejected":
        return _name(offered(row)[0]), "rejected"
    option, unedited = chosen(row, row["text"])
    return _name(option), "unedited" if unedited else "edited"


def table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per template variant or option kind, worst unedited share first."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for row in rows:
        name, what = outcome(row)
        counts[name][what] += 1
    lines = []
    for name, c in counts.items():
        total = sum(c.values())
        lines.append({"offered": name, **c, "total": total,
                      "unedited_share": round(c["unedited"] / total, 3)})
    return sorted(lines, key=lambda line: (line["unedited_share"], -line["total"]))


def by_kind(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per kind (template, past, ai): of the decided drafts that offered it,
    how many were approved with its text unedited, edited from it, rejected outright, or
    went out with another kind's text ("passed_over")."""
    counts = {k: dict.fromkeys((*OUTCOMES, "passed_over"), 0) for k in KINDS}
    for row in rows:
        kinds = {o["kind"] for o in offered(row) if o["kind"] in counts}
        if row["status"] == "rejected":
            for kind in kinds:
                counts[kind]["rejected"] += 1
            continue
        option, unedited = chosen(row, row["text"])
        for kind in kinds:
            what = ("unedited" if unedited else "edited") if kind == option["kind"] \
                else "passed_over"
            counts[kind][what] += 1
    lines = []
    for kind, c in counts.items():
        total = sum(c.values())
        lines.append({"kind": kind, **c, "offered": total,
                      "unedited_share": round(c["unedited"] / total, 3) if total else 0.0})
    return lines
