"""The draft editor of `main.py review` in a real terminal (prompt_toolkit).

The draft opens with its text already in it, so an agent changes a word instead of
retyping the reply; it takes several lines (Enter is a new line, Esc then Enter
saves, Ctrl-C keeps the draft as it was), and the bar under it counts the text as
the platform will (X weighs links 23) against its limit while one types.
"""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import HTML

from listener.platforms import platform_length


def length_bar(text: str, platform: str, limit: int) -> str:
    """The bar's words: the length as the platform counts it, and what is left."""
    n = platform_length(text.strip(), platform)
    state = f"{n - limit} over the limit" if n > limit else f"{limit - n} left"
    return (f"{n} / {limit} on {platform} ({state}) · Esc then Enter saves · Ctrl-C keeps "
            "the draft")


def editor(text: str, platform: str, limit: int) -> str | None:
    """Edit ``text`` in place; the new text, or None when the agent kept the draft."""
    session: PromptSession[str] = PromptSession()

    def toolbar() -> HTML:
        words = length_bar(session.default_buffer.text, platform, limit)
        over = platform_length(session.default_buffer.text.strip(), platform) > limit
        colour = "ansired" if over else "ansigreen"
        return HTML(f"<style bg='{colour}' fg='ansiwhite'> {_escape(words)} </style>")

    try:
        return session.prompt("  edit > ", default=text, multiline=True,
                              bottom_toolbar=toolbar, refresh_interval=0.3)
    except (KeyboardInterrupt, EOFError):
        return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
