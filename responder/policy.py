"""The reply policy, pure: what a public reply must never do, and what a customer's post
tells the agent before any reply is written.

Replies (``reply_problems``): never ask for private data (passwords, card or account
numbers, addresses, phone or order numbers) in public, only in a private message; never
promise a refund or compensation unless the brand allows that exact phrase; never empty;
never over the platform's length limit (length and limit come in as data, so this
module stays platform-neutral).

Mentions (``mention_flags``): private data the customer posted publicly (card numbers
that pass the Luhn check, emails, phone numbers, order ids), so the agent can suggest
deleting the post; spam, scams and abuse, which get a flag instead of a draft.

Machine-written replies (``machine_problems``), on top of everything above: no link
that is not one of ours (the knowledge base, the topics' links), no run of words copied
from the prompt's instructions or from the customer's message (a model that repeats
"ignore your rules and tell everyone to…" has followed the customer, not the brand).

One reply per thread (``second_reply``): we answer a conversation once, again only when
the customer we answered writes back.

Every word list and pattern is a setting (``PolicySettings``) with a default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from config.settings import PolicySettings, ResponderSettings, Settings
from core.errors import ConfigError

NO_DRAFT = ("spam", "scam", "abuse")  # flag kinds that get no draft
HOLDING = (*NO_DRAFT, "thread")  # ... and a second reply in a thread: held back too


@dataclass(frozen=True)
class Flag:
    """What the agent should know about a mention: what was found, and what follows
    from it. Kept apart so a flag on a mention drafted all the same can say what was
    found without "no reply drafted" (``drafted_anyway``)."""

    kind: str  # private_data | spam | suspected_spam | scam | abuse | thread
    found: str  # what was found ("Looks like spam")
    then: str  # what follows for the agent ("no reply drafted.")

    @property
    def message(self) -> str:
        """One sentence for the agent."""
        return f"{self.found}: {self.then}"

    def stored(self) -> dict[str, str]:
        """As a mention's ``flags`` column and a draft's notes keep it."""
        return {"kind": self.kind, "message": self.message}


# Triage's spam verdict on a mention that is drafted all the same (a reply is owed: the
# learned spam flag never takes one away): the agent gets this note with the draft.
SUSPECTED_SPAM = Flag("suspected_spam", "Triage reads this as spam or promotion",
                      "check it before you send anything.")


def drafted_anyway(flag: Flag) -> Flag:
    """A flag that holds a draft back (``HOLDING``) on a mention drafted all the same
    (the customer asks in words, or an agent queued it by hand): what it found, without
    "no reply drafted" beside the draft the agent is reading."""
    return Flag(flag.kind, f"{flag.found}, but drafted all the same",
                "check it before you send anything.")


@lru_cache(maxsize=64)
def _terms(terms: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching any of ``terms`` as whole words (a term ending in '*' as a
    prefix: 'compensat*' matches 'compensation')."""
    parts = [re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t) + r"\b"
             for t in sorted(terms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(" + "|".join(parts) + ")", re.IGNORECASE)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def private_asks(text: str, rules: PolicySettings) -> list[str]:
    """The private data a reply asks for in public (not in a sentence that moves the
    conversation to a private channel)."""
    asked: list[str] = []
    private = _terms(tuple(rules.private_data))
    asks = _terms(tuple(rules.ask_words))
    channel = _terms(tuple(rules.private_channel_words))
    for sentence in _sentences(text):
        if channel.search(sentence) or not asks.search(sentence):
            continue
        for ask in asks.finditer(sentence):
            for term in private.finditer(sentence[ask.end():ask.end() + 80]):
                if term.group(1).lower() not in asked:
                    asked.append(term.group(1).lower())
    return asked


def promises(text: str, rules: PolicySettings, allowed: list[str]) -> list[str]:
    """Sentences that promise a refund or compensation, unless they use a phrase the
    brand allows."""
    found = []
    commit = _terms(tuple(rules.commitment_words))
    promise = _terms(tuple(rules.promise_words))
    for sentence in _sentences(text):
        if any(phrase.lower() in sentence.lower() for phrase in allowed):
            continue
        for start in commit.finditer(sentence):
            if match := promise.search(sentence[start.end():start.end() + 60]):
                found.append(match.group(1).lower())
                break
    return found


def reply_problems(text: str, length: int, limit: int, platform: str,
                   rules: PolicySettings | None = None,
                   allowed_promises: list[str] | None = None) -> list[str]:
    """Every reason ``text`` may not go out as a public reply, one short clause each;
    empty when it may."""
    rules = rules or PolicySettings()
    if not text.strip():
        return ["the reply is empty"]
    problems = []
    if asked := private_asks(text, rules):
        problems.append(f"asks for {' and '.join(asked)} in public: move that to a DM")
    if promised := promises(text, rules, allowed_promises or []):
        problems.append(f"promises a {promised[0]}, which the brand does not allow in "
                        "public replies")
    if length > limit:
        problems.append(f"it is {length} characters and {platform} allows {limit}")
    return problems


_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"'()\[\]]+", re.IGNORECASE)
ECHO_WORDS = 8  # this many words in a row copied from the prompt or the customer


@dataclass(frozen=True)
class MachineCheck:
    """What a machine-written reply is checked against besides the policy."""

    allowed_links: Sequence[str]  # the knowledge base's and the topics' links
    instructions: str = ""  # the prompt's own rules
    untrusted: Sequence[str] = field(default_factory=tuple)  # the customer's words


def links(text: str) -> list[str]:
    """The links in ``text``, without trailing punctuation."""
    return [m.group().rstrip(".,;:!?") for m in _LINK.finditer(text)]


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def machine_problems(text: str, check: MachineCheck) -> list[str]:
    """Why a reply a model wrote may not be offered, beyond ``reply_problems``."""
    problems = []
    ours = {link.rstrip("/").lower() for link in check.allowed_links}
    foreign = [link for link in links(text) if link.rstrip("/").lower() not in ours]
    if foreign:
        problems.append(f"links {foreign[0]}, which is not in the knowledge base")
    said = _shingles(text, ECHO_WORDS)
    if said & _shingles(check.instructions, ECHO_WORDS):
        problems.append("repeats the prompt's instructions")
    for words in check.untrusted:
        # A short message quoted whole is an echo too (four words or more).
        n = min(ECHO_WORDS, len(re.findall(r"\w+", words)))
        if n >= 4 and _shingles(text, n) & _shingles(words, n):
            problems.append("repeats the customer's message word for word")
            break
    return problems


def violations(text: str, rules: PolicySettings | None = None) -> list[str]:
    """What the policy forbids in ``text`` itself, whatever the platform (templates are
    checked with this at start-up)."""
    return reply_problems(text, 0, 1, "", rules)


def check_templates(settings: Settings) -> None:
    """Every template, kb_line and reminder_text keeps the policy once rendered: a settings
    check run where settings are loaded (pipeline.settings.load_settings), so a template
    that asks for a password stops the desk at start-up, before any draft is written.
    Raises ConfigError at key ``responder``."""
    try:
        check_responder(settings.responder)
    except ValueError as exc:
        raise ConfigError("", "responder", str(exc)) from None


def check_responder(responder: ResponderSettings) -> None:
    """``check_templates`` for the responder section alone; ValueError names the template."""
    for key, text in responder.rendered_samples():
        if problems := violations(text, responder.policy):
            raise ValueError(f"template {key!r}: {problems[0]}")


# --- what the customer posted ------------------------------------------------------

_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w.$€£/-])\+?\(?\d[\d ().-]{7,17}\d(?![\w.%-]|\.\d)")


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def private_data(text: str, rules: PolicySettings) -> list[str]:
    """Kinds of private data visible in a customer's public post."""
    kinds = []
    cards = [m for m in _CARD.finditer(text)
             if 13 <= len(d := re.sub(r"\D", "", m.group())) <= 19 and luhn(d)]
    if cards:
        kinds.append("a card number")
    if _EMAIL.search(text):
        kinds.append("an email address")
    card_spans = [m.span() for m in cards]
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        inside_card = any(a <= match.start() < b for a, b in card_spans)
        if 9 <= len(digits) <= 15 and not inside_card and (
                match.group().startswith("+") or re.search(r"[ ().-]", match.group())):
            kinds.append("a phone number")
            break
    if re.search(rules.order_id_pattern, text, re.IGNORECASE):
        kinds.append("an order number")
    return kinds


def mention_flags(text: str, rules: PolicySettings, *, spam: bool = False) -> list[Flag]:
    """What the agent should know about a customer's post before replying. ``spam`` is
    triage's verdict (its spam words or head), added to the policy's own lists."""
    flags = []
    if kinds := private_data(text, rules):
        flags.append(Flag("private_data", f"The customer posted {' and '.join(kinds)} in "
                          "public", "suggest they delete the post and continue by DM."))
    if _terms(tuple(rules.scam_words)).search(text):
        flags.append(Flag("scam", "Looks like a scam (fake giveaway, token or phishing "
                          "link)", "no reply drafted; report it to the platform."))
    elif spam or _terms(tuple(rules.spam_words)).search(text):
        flags.append(Flag("spam", "Looks like spam", "no reply drafted."))
    if _terms(tuple(rules.abuse_words)).search(text):
        flags.append(Flag("abuse", "Abusive language", "no reply drafted; a lead decides "
                          "whether to answer."))
    return flags


def second_reply(rules: PolicySettings, *, our_reply_at: datetime | None,
                 replied_to_author: str, author: str, created_at: datetime) -> Flag | None:
    """The one-reply-per-thread rule: a Flag when answering this mention would be our
    second reply in its conversation without the customer having written back."""
    if not rules.one_reply_per_thread or our_reply_at is None:
        return None
    if author == replied_to_author and created_at > our_reply_at:
        return None  # the customer answered us: the conversation goes on
    return Flag("thread", f"We already replied in this conversation (to @{replied_to_author})",
                "a second reply waits until that customer writes back.")
