"""Reply drafts from templates: the customer's handle, the brand's voice and sign-off,
a knowledge-base link when the topic has one, within the platform's length limit.

Platform-neutral: the caller passes the platform's rules (``listener.platforms``): how a
reply names its author ("@ann", "u/ann"), how it counts length, and the limit."""

from __future__ import annotations

import re
from collections.abc import Callable

from config.settings import BrandSettings, ResponderSettings, TopicSettings

ELLIPSIS = "…"


def template_for(
    templates: dict[str, str], topic: str, label: str, question: bool
) -> str:
    """The most specific template: topic.label, topic, question, label, default."""
    keys = [f"{topic}.{label}", topic, *(["question"] if question else []), label, "default"]
    return next(templates[k] for k in keys if k in templates)


def draft(
    *,
    handle: str,
    author_name: str,
    brand: BrandSettings,
    topic: TopicSettings | None,
    label: str,
    question: bool,
    settings: ResponderSettings,
    limit: int,
    length: Callable[[str], int],
    address: Callable[[str], str],
) -> str:
    template = template_for(settings.templates, topic.name if topic else "", label, question)
    kb_link = topic.kb_link if topic else ""
    addressed = address(handle)  # "" for an author the platform no longer shows
    values = {
        "handle": addressed,
        "name": author_name or (handle if addressed else ""),
        "brand": brand.name,
        "kb_link": kb_link,
        "signoff": brand.signoff,
    }
    for kb_line in (settings.kb_line.format(**values) if kb_link else "", ""):
        text = _clean(template.format(kb_line=kb_line, **values))
        if not addressed:  # "Hi , thanks" -> "Hi, thanks"
            text = re.sub(r"\s+([,.!?])", r"\1", text)
        if length(text) <= limit:
            return text
    return _shorten(text, length, limit)


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def _shorten(text: str, length: Callable[[str], int], limit: int) -> str:
    """Cut at a word boundary so the text fits; the agent sees and can edit it."""
    words = text.split(" ")
    while words and length(" ".join(words) + ELLIPSIS) > limit:
        words.pop()
    return " ".join(words) + ELLIPSIS
