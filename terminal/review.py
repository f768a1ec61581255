"""`main.py review`: walk pending drafts by priority, approve, edit, reject or skip.

Mention text is shown with control, zero-width and bidi characters made visible,
so hostile text cannot rewrite the agent's terminal or hide what it says.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TextIO

from config.settings import Settings
from core.clock import Clock
from core.errors import ActionRefused
from listener.platforms import platform_length, reply_limit
from pipeline.actions import Actions
from store import drafts
from store.db import Store

MAX_SHOWN = 600  # characters of a mention shown; the rest is summarised


def visible(text: str, limit: int = MAX_SHOWN) -> str:
    """Text safe to print: format/control characters shown as <U+XXXX>."""
    out = []
    for char in text[:limit]:
        category = unicodedata.category(char)
        if char in "\n\t":
            out.append(" " if char == "\t" else "\n    ")
        elif category in ("Cc", "Cf", "Co", "Cs"):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    if len(text) > limit:
        out.append(f" … [{len(text) - limit} more characters]")
    return "".join(out)


def _show(item: dict, settings: Settings, out: TextIO) -> None:
    limit = reply_limit(settings, item["platform"])
    factors = ", ".join(f"{k} {v:.2f}" for k, v in item["factors"].items())
    out.write(
        f"\n#{item['draft_id']}  priority {item['priority']:.2f} ({factors})\n"
        f"  {item['platform']} · {item['brand']} · @{visible(item['author_handle'], 60)}"
        f" ({item['author_followers']} followers) · {item['created_at']}\n"
        f"  {item['label']} ({item['scores'].get(item['label'], 0):.0%}) · topic "
        f"{item['topic']} · {item['reason']}{' · optional' if item['optional'] else ''}\n"
        f"  > {visible(item['text'])}\n"
        f"  draft ({platform_length(item['draft_text'], item['platform'])}/{limit}):\n"
        f"  {visible(item['draft_text'])}\n"
    )
    for note in item.get("draft_notes") or []:
        out.write(f"  note: {visible(note)}\n")
    if item.get("article_url"):
        out.write(f"  article: {visible(item['article_url'])}\n")
    for option in item.get("options") or []:
        kind = f"AI draft, {option.get('model', '')}" if option["kind"] == "ai" \
            else option["kind"]
        out.write(f"  [o]ption ({visible(kind, 60)}): {visible(option['text'])}\n")


def review(
    store: Store,
    settings: Settings,
    clock: Clock,
    actor: str,
    ask: Callable[[str], str],
    out: TextIO,
) -> dict[str, int]:
    """Interactive loop; returns counts per action. ``ask`` is ``input`` in a terminal.

    Every action goes through ``pipeline.actions``, so the terminal enforces exactly
    the rules the web inbox does; a refusal is printed in one sentence."""
    actions = Actions(store, settings, clock)
    counts = {"approved": 0, "edited": 0, "rejected": 0, "skipped": 0, "undone": 0}
    seen: set[int] = set()
    last_approved: int | None = None
    while True:
        queue = [d for d in drafts.pending(store) if d["draft_id"] not in seen]
        if not queue:
            out.write("\nNo drafts waiting. " + ", ".join(f"{k} {v}" for k, v in counts.items())
                      + "\n")
            return counts
        item = queue[0]
        seen.add(item["draft_id"])
        _show(item, settings, out)
        for problem in actions.problems(item["draft_id"]):
            out.write(f"  cannot be sent as it is: {problem}\n")
        try:
            actions.claim(item["mention_id"], actor)
        except ActionRefused as exc:
            out.write(f"  skipped: {exc}\n")
            continue
        undo = "  [u]ndo last approval" if last_approved else ""
        option = "  [o]ption" if item.get("options") else ""
        answer = ask(f"  [a]pprove  [e]dit{option}  [r]eject  [s]kip  [q]uit{undo} > "
                     ).strip().lower()
        try:
            if answer == "a":
                done = actions.approve(item["draft_id"], actor, item["version"])
                counts["approved"] += 1
                last_approved = item["draft_id"]
            elif answer == "e":
                done = actions.edit(item["draft_id"], actor, item["version"],
                                    ask("  new text > "))
                counts["edited"] += 1
                seen.discard(item["draft_id"])  # show it again to approve the new text
            elif answer == "o" and item.get("options"):
                done = actions.edit(item["draft_id"], actor, item["version"],
                                    item["options"][0]["text"])
                counts["edited"] += 1
                seen.discard(item["draft_id"])  # show it again to approve the option
            elif answer == "r":
                done = actions.reject(item["draft_id"], actor, item["version"],
                                      ask("  note (why) > "))
                counts["rejected"] += 1
            elif answer == "u" and last_approved:
                seen.discard(item["draft_id"])
                done = actions.undo(last_approved, actor)
                seen.discard(last_approved)
                last_approved = None
                counts["undone"] += 1
            elif answer == "q":
                actions.release(item["mention_id"], actor)
                return counts
            else:
                done = actions.skip(item["draft_id"], actor)
                actions.release(item["mention_id"], actor)
                counts["skipped"] += 1
            out.write(f"  {done.message}\n")
        except ActionRefused as exc:
            out.write(f"  {exc}\n")
            seen.discard(item["draft_id"])  # still pending: offer it again
