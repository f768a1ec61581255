"""Reply drafts that read like a person wrote them.

A template is picked per topic x tone x platform (x language) and by what the message
says: a safety mention (smoke, melting, sparks: ``safety_words``) tries "+safety" keys
first and is the only kind of mention whose draft may carry safety advice (a variant
with a ``safety_phrases`` word is never offered to a crushed box); a question tries
"+question" keys, a report "+report" ones. Among a key's variants the one sharing the
most words with the message comes first (then the order written), so the choice is
the message's, never a rotation; the next one is used when the first would repeat a
sentence this customer already got. The template is filled with the brand's voice
(greeting by formality, emoji on or off, sign-off), the customer's first name when
known (never "u/[deleted]"), the knowledge base article when one was chosen, and kept
within the platform's length limit.

Platform-neutral: the caller passes the platform's rules (``listener.platforms``) as
data: how a reply names its author, how it counts length, and the limit. Pure: what
this author already got today comes in as ``recent`` sentences, so no sentence is sent
twice to one person in a day.

Template keys, most specific first: "topic.label", "topic", "question", "label",
"default"; each may carry a trait ("+safety", "+bystander": a safety mention by someone
answering another person's post, "+question", "+report"), end in
"@platform" and start with "lang:" for a language other than the brand's
("es:delivery.negative+safety@x"). Variants that use {kb_line}, {kb_link} or
{kb_title} are used when an article was chosen, the others when none was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from config.settings import BrandSettings, KbArticle, ResponderSettings, SafetyLead

ELLIPSIS = "…"
KB_FIELDS = ("{kb_line}", "{kb_link}", "{kb_title}")
LANGUAGES = {
    "en": "English", "es": "Spanish", "de": "German", "fr": "French", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "ja": "Japanese", "ar": "Arabic", "zh": "Chinese",
    "ko": "Korean", "ru": "Russian", "tr": "Turkish", "pl": "Polish", "hi": "Hindi",
}
# The traits whose keys outrank a topic's own: a safety mention's, and a bystander's
# safety warning about someone else's product.
WARNINGS = ("safety", "bystander")
NOT_A_NAME = {"deleted", "[deleted]", "removed", "[removed]", "unknown", "anonymous"}


@dataclass(frozen=True)
class PlatformRules:
    """What drafting needs to know of a network, passed as data."""

    name: str
    limit: int
    length: Callable[[str], int]
    address: Callable[[str], str]


@dataclass(frozen=True)
class Request:
    """One mention to answer, as triage left it."""

    handle: str
    author_name: str
    label: str  # negative | neutral | positive
    topic: str  # the triage topic ("" or "general" when none)
    question: bool
    lang: str = ""  # the mention's language code, "" when unknown
    seed: int = 0  # the mention id (kept for callers; the variant no longer rotates on it)
    text: str = ""  # what the customer wrote: variants sharing its words come first
    safety: bool = False  # it mentions smoke, heat, sparks...: safety advice is wanted
    # Its author answers someone else's post (sentiment.roles): on a safety mention they
    # warn about another person's product, so they are thanked, never consoled or offered
    # a replacement ("+bystander" keys instead of "+safety" ones).
    bystander: bool = False


@dataclass(frozen=True)
class Draft:
    text: str
    template: str  # the template key it came from, "key#variant"
    lang: str  # the language of the text
    notes: list[str] = field(default_factory=list)  # for the agent, never posted


def language_name(code: str) -> str:
    return LANGUAGES.get(code.split("-")[0].lower(), code)


def first_name(author_name: str) -> str:
    """The customer's first name when their display name looks like a person's."""
    words = author_name.strip().split()
    if not words or author_name.strip().lower() in NOT_A_NAME:
        return ""
    first = words[0]
    if not first.isalpha() or not 2 <= len(first) <= 20:
        return ""
    if first == first.lower() != first.upper():
        return ""  # "noodle": a nickname, not a name to greet by
    return first if not first.isupper() else first.title()


def greeting(request: Request, brand: BrandSettings, settings: ResponderSettings,
             rules: PlatformRules, lang: str) -> tuple[str, str]:
    """("Hi Dana", "Dana") — by name, else by handle, else "Hi there"."""
    casual, formal = settings.greetings.get(lang, settings.greetings["en"])
    word = formal if brand.formality == "formal" else casual
    name = first_name(request.author_name)
    handle = request.handle.strip()
    if not name and handle and handle.lower() not in NOT_A_NAME:
        name = rules.address(handle)
    if name:
        return f"{word} {name}", name
    # "Bonjour there" is English in a French greeting: each language names nobody its own
    # way ("Bonjour" alone), English keeps "there".
    nobody = nobody_word(settings, lang)
    return (f"{word} {nobody}" if nobody else word), name


def nobody_word(settings: ResponderSettings, lang: str) -> str:
    """Who the greeting names when the name and handle are unknown, in ``lang``."""
    if lang in settings.nobody_by_language:
        return settings.nobody_by_language[lang]
    return settings.nobody if lang == "en" else ""


def traits(request: Request) -> list[str]:
    """The message's traits that pick "+trait" templates, the most telling first."""
    warning = "bystander" if request.bystander else "safety"
    return [*([warning] if request.safety else []),
            "question" if request.question else "report"]


def has_safety_advice(template: str, settings: ResponderSettings) -> bool:
    """Whether a variant gives safety advice ("if there's smoke, unplug it")."""
    low = template.lower()
    return any(phrase in low for phrase in settings.safety_phrases)


_STOP = frozenset({
    "a", "an", "and", "the", "to", "of", "for", "in", "on", "it", "is", "are", "we", "us",
    "you", "your", "our", "with", "this", "that", "be", "just", "so", "if", "or", "at", "by",
    "me", "my", "i", "im", "i'm", "was", "were", "have", "has", "had", "not", "no", "do",
    "does", "can", "will", "would", "get", "got"})


def _content(text: str) -> set[str]:
    words = re.findall(r"[^\W\d_]{3,}", re.sub(r"\{[a-z_]+\}", " ", text.lower()))
    return {w.rstrip("s") for w in words if w not in _STOP}


def safety_lead(text: str, leads: Sequence[SafetyLead]) -> str:
    """The safety sentence a reply to ``text`` must start with ("" when none): the first
    lead one of whose words the customer used."""
    for lead in leads:
        words = "|".join(re.escape(w) for w in sorted(lead.words, key=len, reverse=True))
        if re.search(rf"(?<!\w)(?:{words})(?!\w)", text, re.IGNORECASE):
            return lead.text
    return ""


def greeting_words(settings: ResponderSettings) -> list[str]:
    """The words a reply may open with before its body ("Hi", "Hola", "Dear", ...)."""
    said = [w for pair in settings.greetings.values() for w in pair]
    return list(dict.fromkeys([*said, "Hey", "Hello", "Dear", "Good morning"]))


def lead_with(text: str, lead: str, greetings: Sequence[str] = ()) -> str:
    """``text`` whose body starts with ``lead``: after the greeting when there is one
    ("Hi Sam, for your safety, please unplug it... That must have been frightening"),
    else first. A writer that put the lead elsewhere (or already there) has it moved,
    never said twice. ``text`` may be a template ("{greeting}, ...")."""
    if not lead:
        return text
    core = r"\s+".join(re.escape(w) for w in lead.rstrip(" .!").split())
    text = re.sub(rf"(?<!\w){core}[.!]?\s*", "", text, count=1, flags=re.IGNORECASE)
    # An opener: @handles, then "{greeting}" (a template) or a greeting word, then up to
    # 40 characters (the name) before its comma.
    openers = [r"\{greeting\}", *(rf"{re.escape(w)}(?!\w)"
                                   for w in sorted(greetings, key=len, reverse=True))]
    found = re.match(rf"((?:@[\w.]+\s+)*(?:{'|'.join(openers)})[^,.!?:\n]{{0,40}}?)"
                     r"([,!:.])\s*", text, re.IGNORECASE)
    if found is None:
        return f"{lead} {text}".strip()
    head, mark, rest = found.group(1), found.group(2), text[found.end():]
    if mark in ",:":  # "Hi Sam, for your safety, ... That must have been..."
        if lead[1:2].islower():
            lead = lead[0].lower() + lead[1:]
        rest = rest[:1].upper() + rest[1:]
    return f"{head}{mark} {lead} {rest}".strip()


def template_keys(topic: str, label: str, question: bool) -> list[str]:
    """The base keys to try, most specific first. A topic's own template is for
    problems and questions, so plain praise goes to its thank-you first; an upset
    customer's question gets an apology before "good question!"."""
    topic = "" if topic in ("", "general") else topic
    keys = [f"{topic}.{label}"] if topic else []
    if topic and (question or label != "positive"):
        keys.append(topic)
    asked = ["question"] if question else []
    tail = [label, *asked] if label == "negative" else [*asked, label]
    return [*keys, *tail, "default"]


def candidates(templates: dict[str, str | list[str]], bases: Sequence[str], lang: str,
               brand_lang: str, platform: str, marks: Sequence[str] = ()
               ) -> list[tuple[str, list[str]]]:
    """(key, variants) in the order they are tried: per base, its "+trait" keys for the
    message's ``marks`` first, each on the platform first."""
    prefix = "" if lang == brand_lang else f"{lang}:"
    # Safety advice outranks a topic's own words: every "+safety" key (a bystander's
    # warning: "+bystander") comes first.
    warning = [m for m in marks if m in WARNINGS]
    first = [f"{base}+{m}" for m in warning for base in bases]
    names = [*first, *(name for base in bases for name in
                       [*(f"{base}+{m}" for m in marks if m not in WARNINGS), base])]
    out = []
    for name in names:
        for key in (f"{prefix}{name}{at}" for at in (f"@{platform}", "")):
            if key in templates:
                value = templates[key]
                out.append((key, [value] if isinstance(value, str) else list(value)))
    return out


def sentences(text: str) -> list[str]:
    """Normalised sentences, for the no-repeat rule."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [re.sub(r"\W+", " ", p).strip().lower() for p in parts if re.search(r"\w", p)]


def draft(request: Request, brand: BrandSettings, settings: ResponderSettings,
          rules: PlatformRules, *, article: KbArticle | None = None,
          topic_link: str = "", recent: Sequence[str] = (), lead: str = "") -> Draft:
    """The first draft for a mention. ``recent`` is what this author was sent (or will
    be) in the repeat window; ``topic_link`` is the topic's own link, used when the
    knowledge base chose no article; ``lead`` is the safety sentence it starts with."""
    notes = []
    lang = request.lang.split("-")[0].lower() if request.lang else brand.language
    has_lang = lang == brand.language or any(k.startswith(f"{lang}:") for k in settings.templates)
    if not has_lang:
        notes.append(f"The customer wrote in {language_name(lang)}: answer in "
                      f"{language_name(lang)} (no templates in it yet; this draft is in "
                      f"{language_name(brand.language)}).")
        lang = brand.language
    hello, name = greeting(request, brand, settings, rules, lang)
    link = article.url if article else topic_link
    values = {
        "greeting": hello,
        "name": name or settings.nobody,
        "handle": rules.address(request.handle) if request.handle else "",
        "brand": brand.name,
        "kb_link": link,
        "kb_title": article.title if article else "",
        "emoji": settings.emoji_by_tone.get(request.label, "") if brand.emoji else "",
        "signoff": brand.signoff,
    }
    kb_line = settings.kb_line.format(**values) if link else ""
    bases = template_keys(request.topic, request.label, request.question)
    # The sign-off and the article line may come again; the words around them may not.
    seen = ({s for text in recent for s in sentences(text) if not _holds(s, lead)}
            - set(sentences(brand.signoff)) - set(sentences(kb_line)))
    hellos = greeting_words(settings)
    # (name, text, repeats, dangles, template)
    fallback: list[tuple[str, str, bool, bool, str]] = []
    for key, variants in candidates(settings.templates, bases, lang, brand.language,
                                    rules.name, traits(request)):
        # A key with variants for "no guide" wrote the others around one.
        guided = not link and any(not _uses_kb(v) for v in variants)
        for i, template in _ordered(variants, bool(link), request, settings):
            text = _fit(lead_with(template, _literal(lead), hellos), values, kb_line, rules)
            repeats = bool(seen & {s for s in sentences(text) if not _holds(s, lead)})
            # A variant written around a guide, with no guide to give, points at nothing
            # ("If that doesn't fix it, DM us"): the next key's words come first.
            dangles = guided and _uses_kb(template)
            if not repeats and not dangles and not text.endswith(ELLIPSIS):
                return Draft(text, f"{key}#{i}", lang, [*notes, *_left_out(link, template,
                                                                       text, rules)])
            fallback.append((f"{key}#{i}", text, repeats, dangles, template))
    # "default" always exists (ResponderSettings checks), so there is a fallback.
    name, text, repeats, _, template = min(fallback, key=lambda f: (f[2], f[3]))
    if repeats:
        notes.append("Every template repeats a sentence this customer got in the last "
                      "day: reword it before approving.")
    return Draft(text, name, lang, [*notes, *_left_out(link, template, text, rules)])


def _left_out(link: str, template: str, text: str, rules: PlatformRules) -> list[str]:
    """The note saying a guide link was cut to fit the platform's limit: the draft was
    written to carry it and does not, which is no fault of anyone's (the inbox tells a
    link never drafted from one an edit deleted by the draft's first text). A template
    with no place for a link needs no note."""
    if not link or link in text or not _uses_kb(template):
        return []
    return [f"The guide link was left out to fit {rules.limit} characters: add it in "
            "place of other words if it matters more."]


def _uses_kb(template: str) -> bool:
    return any(f in template for f in KB_FIELDS)


def _holds(sentence: str, lead: str) -> bool:
    """Whether a normalised sentence carries the safety lead (which may come again)."""
    return bool(lead) and any(part in sentence for part in sentences(lead))


def _ordered(variants: list[str], with_article: bool, request: Request,
             settings: ResponderSettings) -> list[tuple[int, str]]:
    """Variants in the order to try, chosen for the message: safety advice only for a
    safety mention (and first there), those fit for the article (or its absence)
    before the others, and within each the one sharing most words with the message
    (then the order written; no rotation)."""
    said = _content(request.text)
    ranked = []
    for i, v in enumerate(variants):
        safety = has_safety_advice(v, settings)
        if safety and not request.safety:
            continue
        fit = _uses_kb(v) == with_article
        ranked.append(((not (safety and request.safety), not fit,
                        -len(said & _content(v)), i), i, v))
    return [(i, v) for _, i, v in sorted(ranked)]


def _fit(template: str, values: dict[str, str], kb_line: str, rules: PlatformRules) -> str:
    """The filled template within the limit: with the article line, without it, without
    the sign-off, or cut at a word boundary (the agent sees and can edit it)."""
    text, signoff = "", values.get("signoff", "")
    for line, sign in dict.fromkeys(((kb_line, signoff), ("", signoff), ("", ""))):
        text = _clean(template.format(kb_line=line, **{**values, "signoff": sign}))
        if rules.length(text) <= rules.limit:
            return text
    words = text.split(" ")
    while words and rules.length(" ".join(words) + ELLIPSIS) > rules.limit:
        words.pop()
    return " ".join(words) + ELLIPSIS


def _literal(text: str) -> str:
    """``text`` as a template that formats to itself."""
    return text.replace("{", "{{").replace("}", "}}")


def _clean(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r" ([,.!?])", r"\1", text).strip()


def adapt(reply: str, old_handle: str, old_name: str, request: Request,
          brand: BrandSettings, settings: ResponderSettings, rules: PlatformRules) -> str:
    """A past approved reply re-addressed to this mention's customer."""
    _, name = greeting(request, brand, settings, rules, brand.language)
    olds = [o for o in (rules.address(old_handle) if old_handle else "",
                        first_name(old_name), old_handle) if o]
    text = reply
    for old in olds:
        text = re.sub(rf"(?<![\w@/]){re.escape(old)}(?!\w)", name or settings.nobody, text)
    return _fit(_literal(text), {}, "", rules)
