"""How agents received each template and option: approved as drafted, edited, or
rejected. Pure: rows come from ``store.drafts.outcomes``. Weak templates show
themselves as a low unedited share."""

from __future__ import annotations

from collections import defaultdict
from difflib import SequenceMatcher
from typing import Any

OUTCOMES = ("unedited", "edited", "rejected")


def _name(option: dict[str, Any]) -> str:
    return "past approved reply" if option["kind"] == "past" else f"template {option['template']}"


def outcome(row: dict[str, Any]) -> tuple[str, str]:
    """(what was offered, what the agent did) for one decided draft. An edited text is
    credited to the offered option it is closest to."""
    offered = [{"kind": "template", "text": row["first_text"], "template": row["template"]},
               *row["options"]]
    if row["status"] == "rejected":
        return _name(offered[0]), "rejected"
    for option in offered:
        if row["text"] == option["text"]:
            return _name(option), "unedited"
    closest = max(offered, key=lambda o: SequenceMatcher(None, o["text"], row["text"]).ratio())
    return _name(closest), "edited"


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
