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
from core.errors import ConflictError
from listener.platforms import platform_length
from responder.policy import violations
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
    limit = settings.responder.length_limits.get(item["platform"], 280)
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


def review(
    store: Store,
    settings: Settings,
    clock: Clock,
    actor: str,
    ask: Callable[[str], str],
    out: TextIO,
) -> dict[str, int]:
    """Interactive loop; returns counts per action. ``ask`` is ``input`` in a terminal."""
    counts = {"approved": 0, "edited": 0, "rejected": 0, "skipped": 0}
    seen: set[int] = set()
    while True:
        queue = [d for d in drafts.pending(store) if d["draft_id"] not in seen]
        if not queue:
            out.write("\nNo drafts waiting. " + ", ".join(f"{k} {v}" for k, v in counts.items())
                      + "\n")
            return counts
        item = queue[0]
        seen.add(item["draft_id"])
        _show(item, settings, out)
        try:
            drafts.claim(store, item["mention_id"], actor, clock.now())
        except ConflictError as exc:
            out.write(f"  skipped: {exc}\n")
            continue
        answer = ask("  [a]pprove  [e]dit  [r]eject  [s]kip  [q]uit > ").strip().lower()
        try:
            if answer == "a":
                drafts.approve(store, item["draft_id"], actor, item["version"], clock.now())
                counts["approved"] += 1
                out.write("  approved: it will be posted by the daemon\n")
            elif answer == "e":
                text = ask("  new text > ").strip()
                limit = settings.responder.length_limits.get(item["platform"], 280)
                problems = violations(text)
                if platform_length(text, item["platform"]) > limit:
                    problems.append(f"longer than {limit} characters")
                if not text or problems:
                    out.write(f"  not saved: {'; '.join(problems) or 'empty text'}\n")
                    seen.discard(item["draft_id"])
                    continue
                drafts.edit(store, item["draft_id"], actor, item["version"], text, clock.now())
                counts["edited"] += 1
                seen.discard(item["draft_id"])  # show it again to approve the new text
            elif answer == "r":
                note = ask("  note (why) > ").strip()
                drafts.reject(store, item["draft_id"], actor, item["version"], note,
                              clock.now())
                counts["rejected"] += 1
            elif answer == "q":
                drafts.release(store, item["mention_id"], actor, clock.now())
                return counts
            else:
                drafts.skip(store, item["draft_id"], actor, clock.now())
                drafts.release(store, item["mention_id"], actor, clock.now())
                counts["skipped"] += 1
        except ConflictError as exc:
            out.write(f"  not done: {exc}\n")
