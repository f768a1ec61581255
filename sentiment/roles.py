"""A mention's role in its conversation, an input to needs-reply and priority.

- ``original``: the person who started the thread (or a post with no thread we know),
  including their own follow-ups in it;
- ``customer``: someone answering us, i.e. replying to one of our posted replies or to
  a post by one of the brand's accounts: the conversation is open, so a reply is owed
  on a weaker signal;
- ``bystander``: someone replying to another person's post: their "me too" may need an
  answer, but it ranks below the original poster's own report.
"""

from __future__ import annotations

from dataclasses import dataclass

ORIGINAL = "original"
CUSTOMER = "customer"
BYSTANDER = "bystander"
ROLES = (ORIGINAL, CUSTOMER, BYSTANDER)


@dataclass(frozen=True)
class ThreadFacts:
    """What the store knows about the posts a mention answers."""

    in_reply_to_id: str = ""
    parent_author: str | None = None  # None: the parent is not stored
    root_author: str | None = None  # author of the conversation's first post, if stored
    replies_to_us: bool = False  # the parent is one of our posted replies


def thread_role(author: str, facts: ThreadFacts, own_handles: list[str]) -> str:
    """The role of ``author``'s mention, from what is known of its thread."""
    if not facts.in_reply_to_id:
        return ORIGINAL
    own = {h.lstrip("@").lower() for h in own_handles}
    me = author.lstrip("@").lower()
    parent = (facts.parent_author or "").lstrip("@").lower()
    root = (facts.root_author or "").lstrip("@").lower()
    if facts.replies_to_us or (parent and parent in own):
        return CUSTOMER
    if me in (parent, root):
        return ORIGINAL  # the poster following up in their own thread
    if facts.parent_author is None and facts.root_author is None:
        return ORIGINAL  # thread unknown: judge it on its own
    return BYSTANDER
