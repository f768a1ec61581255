"""`main.py review`: walk pending drafts by priority, approve, edit, reject or skip.

Mention text is shown with control, zero-width and bidi characters made visible,
so hostile text cannot rewrite the agent's terminal or hide what it says.

A key the review does not know asks again (it never skips, so nothing is audited by
accident); ``?`` shows the keys. ``e`` opens the draft itself for editing (several
lines, the platform's length counted as one types, in a real terminal:
``terminal.editor``). Every action is recorded under the desk account the agent named
(``--as NAME`` or ``[app] agent_name``, checked by main.py), and quitting prints what
was done.
"""

from __future__ import annotations

import io
import textwrap
import unicodedata
from collections.abc import Callable
from typing import TextIO

from config.settings import Settings
from core.clock import Clock
from core.errors import ActionRefused
from listener.platforms import platform_length, reply_limit
from pipeline.actions import PERMISSIONS, Actions, may, ranking
from store import drafts, users
from store.db import Store

MAX_SHOWN = 600  # characters of a mention shown; the rest is summarised
# The editor: (draft text, platform, limit) -> the new text, or None to keep the draft.
Editor = Callable[[str, str, int], "str | None"]
KEYS = {
    "a": "approve the draft as shown",
    "e": "edit the draft (it opens with the text in it; Esc then Enter saves)",
    "o": "use the other option shown (a past approved reply)",
    "r": "reject, with a note saying why",
    "s": "skip for now (it comes back next time)",
    "u": "undo your last approval (within the undo window)",
    "q": "quit: the item is released, and you see what you did",
    "?": "this help",
}


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


def article_line(item: dict) -> str:
    """The article as the draft now stands: an agent's edit that dropped or changed the
    link is shown as such, never the old link as if it were still sent."""
    state = drafts.article_state(item)
    url = visible(item.get("article_url") or "")
    if not state:
        return ""
    if state == "in":
        return f"  article: {url}\n"
    if state == "left_out":  # the first draft never carried it (cut to fit): no loss
        return f"  article: {url} (left out of the first draft)\n"
    return f"  article: {url} (not in the text: it will not be sent)\n"


def fit(block: str, width: int) -> str:
    """``block`` with each line longer than ``width`` wrapped between words, its
    continuation indented like the line (under the text after a ``> ``): the terminal
    itself cut words in two and started the rest at column 0, out of the item's
    indentation. ``width`` 0 (a pipe, a script) leaves the lines as they are."""
    if width <= 0:
        return block
    lines = []
    for line in block.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body) + (2 if body.startswith("> ") else 0))
        lines.append(textwrap.fill(line, width, subsequent_indent=indent,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def _show(item: dict, settings: Settings, out: TextIO, width: int = 0) -> None:
    limit = reply_limit(settings, item["platform"])
    factors = ", ".join(f"{k} {v:.2f}" for k, v in item["factors"].items())
    shown = io.StringIO()
    shown.write(
        f"\n#{item['draft_id']}  priority {item['priority']:.2f} ({factors})\n"
        f"  {item['platform']} · {item['brand']} · @{visible(item['author_handle'], 60)}"
        f" ({item['author_followers']:,} followers) · {item['created_at']}\n"
        f"  {item['label']} ({item['scores'].get(item['label'], 0):.0%}) · topic "
        f"{item['topic']} · {item['reason']}{' · optional' if item['optional'] else ''}\n"
        f"  > {visible(item['text'])}\n"
        f"  draft ({platform_length(item['draft_text'], item['platform'])}/{limit}):\n"
        f"  {visible(item['draft_text'])}\n"
    )
    for note in item.get("draft_notes") or []:
        shown.write(f"  note: {visible(note)}\n")
    shown.write(article_line(item))
    for option in item.get("options") or []:
        kind = f"AI draft, {option.get('model', '')}" if option["kind"] == "ai" \
            else option["kind"]
        shown.write(f"  [o]ption ({visible(kind, 60)}): {visible(option['text'])}\n")
    out.write(fit(shown.getvalue(), width))


REVIEWERS = tuple(role for role in PERMISSIONS if may(role, "approve"))  # agent, admin


def desk_account(store: Store, name: str) -> str:
    """The desk account an agent reviews as (its stored spelling), or ActionRefused
    saying what to do: the audit names a colleague the team knows, never whoever the
    operating system says ran the command."""
    if not name.strip():
        raise ActionRefused("Say who is reviewing: main.py review --as NAME, or set "
                            "[app] agent_name (a desk account, see main.py users list).")
    row = users.credentials(store, name.strip())
    if row is None:
        raise ActionRefused(f"{name!r} is no desk account: create it with main.py users add "
                            f"{name} --role agent, or review --as an existing one.")
    if row["disabled"]:
        raise ActionRefused(f"The desk account {row['username']} is disabled.")
    if row["role"] not in REVIEWERS:
        raise ActionRefused(f"The desk account {row['username']} is a {row['role']}: only "
                            "an agent or an admin approves replies.")
    return str(row["username"])


def help_text() -> str:
    return "  keys:\n" + "".join(f"    {k}  {what}\n" for k, what in KEYS.items())


def summary(counts: dict[str, int], actor: str) -> str:
    """What this session did, as the last thing the agent reads."""
    done = ", ".join(f"{k} {v}" for k, v in counts.items())
    return f"Recorded as {actor}: {done}.\n"


def line_editor(ask: Callable[[str], str]) -> Editor:
    """The editor for scripts and plain pipes: the whole new text on one line (what is
    typed is what is saved, so an empty line is refused as an empty reply)."""

    def edit(text: str, platform: str, limit: int) -> str | None:
        return ask("  new text > ")

    return edit


def review(
    store: Store,
    settings: Settings,
    clock: Clock,
    actor: str,
    ask: Callable[[str], str],
    out: TextIO,
    edit: Editor | None = None,
    width: int = 0,
) -> dict[str, int]:
    """Interactive loop; returns counts per action. ``ask`` is ``input`` in a terminal;
    ``edit`` opens a draft for editing (``terminal.editor.editor`` in a terminal, one
    line read through ``ask`` otherwise); ``width`` is the terminal's, to wrap the
    item between words (0: a pipe, nothing wrapped).

    Every action goes through ``pipeline.actions``, so the terminal enforces exactly
    the rules the web inbox does; a refusal is printed in one sentence."""
    actions = Actions(store, settings, clock)
    edit = edit or line_editor(ask)
    counts = {"approved": 0, "edited": 0, "rejected": 0, "skipped": 0, "undone": 0}
    seen: set[int] = set()
    last_approved: int | None = None
    out.write(f"Reviewing as {actor}. Press ? for the keys.\n")
    while True:
        queue = [d for d in drafts.pending(store, ranking=ranking(settings, clock.now()))
                 if d["draft_id"] not in seen]
        if not queue:
            out.write("\nNo drafts waiting. " + summary(counts, actor))
            return counts
        item = queue[0]
        seen.add(item["draft_id"])
        _show(item, settings, out, width)
        for problem in actions.problems(item["draft_id"]):
            out.write(f"  cannot be sent as it is: {problem}\n")
        try:
            actions.claim(item["mention_id"], actor)
        except ActionRefused as exc:
            out.write(f"  skipped: {exc}\n")
            continue
        undo = "  [u]ndo last approval" if last_approved else ""
        option = "  [o]ption" if item.get("options") else ""
        prompt = f"  [a]pprove  [e]dit{option}  [r]eject  [s]kip  [q]uit{undo}  [?] > "
        allowed = {"a", "e", "r", "s", "q", *(["o"] if option else []),
                   *(["u"] if undo else [])}
        try:
            answer = ask(prompt).strip().lower()
        except (EOFError, KeyboardInterrupt):
            actions.release(item["mention_id"], actor)
            out.write("\n" + summary(counts, actor))
            raise
        while answer not in allowed:
            if answer == "?":
                out.write(help_text())
            else:
                out.write(f"  {answer!r} is not a key here: nothing done. Press ? for the "
                          "keys.\n" if answer else "  Nothing done: choose a key.\n")
            answer = ask(prompt).strip().lower()
        try:
            if answer == "a":
                done = actions.approve(item["draft_id"], actor, item["version"])
                counts["approved"] += 1
                last_approved = item["draft_id"]
            elif answer == "e":
                limit = reply_limit(settings, item["platform"])
                new = edit(item["draft_text"], item["platform"], limit)
                seen.discard(item["draft_id"])  # show it again to approve the new text
                if new is None or new.strip() == item["draft_text"].strip():
                    out.write("  No change: the draft stays as it was.\n")
                    continue
                done = actions.edit(item["draft_id"], actor, item["version"], new)
                counts["edited"] += 1
            elif answer == "o":
                done = actions.edit(item["draft_id"], actor, item["version"],
                                    item["options"][0]["text"])
                counts["edited"] += 1
                seen.discard(item["draft_id"])  # show it again to approve the option
            elif answer == "r":
                done = actions.reject(item["draft_id"], actor, item["version"],
                                      ask("  note (why) > "))
                counts["rejected"] += 1
            elif answer == "u":
                seen.discard(item["draft_id"])
                done = actions.undo(last_approved or 0, actor)
                seen.discard(last_approved or 0)
                last_approved = None
                counts["undone"] += 1
            elif answer == "q":
                actions.release(item["mention_id"], actor)
                out.write(summary(counts, actor))
                return counts
            else:
                done = actions.skip(item["draft_id"], actor)
                actions.release(item["mention_id"], actor)
                counts["skipped"] += 1
            out.write(f"  {done.message}\n")
        except ActionRefused as exc:
            out.write(f"  {exc}\n")
            seen.discard(item["draft_id"])  # still pending: offer it again
