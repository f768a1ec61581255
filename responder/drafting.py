"""Reply drafts from templates: the customer's handle, the brand's voice and sign-off,
a knowledge-base link when the topic has one, within the platform's length limit."""

from __future__ import annotations

import re

from config.settings import BrandSettings, ResponderSettings, TopicSettings
from responder.length import platform_length

ELLIPSIS = "…"


def template_for(
    templates: dict[str, str], topic: str, label: str, question: bool
) -> str:
    """The most specific template: topic.label, topic, question, label, default."""
    keys = [f"{topic}.{label}", topic, *(["question"] if question else []), label, "default"]
    return next(templates[k] for k in keys if k in templates)


def handle_for(platform: str, handle: str) -> str:
    return f"u/{handle}" if platform == "reddit" else f"@{handle.lstrip('@')}"


def draft(
    *,
    platform: str,
    handle: str,
    author_name: str,
    brand: BrandSettings,
    topic: TopicSettings | None,
    label: str,
    question: bool,
    settings: ResponderSettings,
) -> str:
    template = template_for(settings.templates, topic.name if topic else "", label, question)
    kb_link = topic.kb_link if topic else ""
    values = {
        "handle": handle_for(platform, handle),
        "name": author_name or handle,
        "brand": brand.name,
        "kb_link": kb_link,
        "signoff": brand.signoff,
    }
    limit = settings.length_limits.get(platform, 280)
    for kb_line in (settings.kb_line.format(**values) if kb_link else "", ""):
        text = _clean(template.format(kb_line=kb_line, **values))
        if platform_length(text, platform) <= limit:
            return text
    return _shorten(text, platform, limit)


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def _shorten(text: str, platform: str, limit: int) -> str:
    """Cut at a word boundary so the text fits; the agent sees and can edit it."""
    words = text.split(" ")
    while words and platform_length(" ".join(words) + ELLIPSIS, platform) > limit:
        words.pop()
    return " ".join(words) + ELLIPSIS
