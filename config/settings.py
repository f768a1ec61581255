"""Every setting mentiondesk reads, typed and validated.

Each field is documented in docs/settings.md; a test checks the two agree.
Secrets are never settings: they come from environment variables (see ``secrets``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Union, get_args

from pydantic import BeforeValidator, Field, model_validator

from config.base import SourceBase, Strict
from core.errors import ConfigError

Label = Literal["negative", "neutral", "positive"]

# Physical danger: always a reply (triage), "+safety" templates and the "unplug it" lead
# (responder). One list, so the three rules can never disagree on a word.
SAFETY_WORDS = (
    "smoke", "smoking", "smoked", "burning", "burnt", "fire", "flames", "melted",
    "melting", "sparks", "sparking", "electric shock", "shocked me", "overheating",
    "too hot to touch", "scorch",
)
# A taken-over account: always a reply, and the "change your password" lead.
ACCOUNT_WORDS = ("hacked", "fraud", "unauthorized", "unauthorised")


class AppSettings(Strict):
    database: Path = Path("data/mentiondesk.db")
    data_dir: Path = Path("data")
    # Any case ("debug" is how people write it); stored as logging's upper-case name.
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"],
                         BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v)
                         ] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line
    raw_retention_days: int = Field(0, ge=0)  # purge raw API payloads after N days; 0 keeps
    agent_name: str = ""  # the desk account `main.py review` acts as without --as


class WebSettings(Strict):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    secure_cookie: bool = False  # true behind TLS: the session cookie is sent over HTTPS only
    max_body_kb: int = Field(256, ge=16)  # larger request bodies are refused unread (413)
    page_size: int = Field(50, ge=5, le=200)  # queue items per page
    alert_priority: float = Field(0.6, ge=0, le=1)  # announce new items at this priority
    sla_warn_minutes: int = Field(10, ge=1)  # announce items this close to their SLA
    # A connection must finish a request's headers within this, or it is closed: a slow
    # client (slowloris) cannot hold the server's connections open for free.
    header_timeout_seconds: float = Field(10, gt=0, le=300)
    # Saved replies agents pick with the keyboard (t, then 1-9); {handle} is filled in.
    saved_replies: dict[str, str] = {
        "Ask for a DM": "Hi {handle}, we're sorry about this. Please send us a DM with "
        "your order number so we can look into it right away.",
        "Looking into it": "Hi {handle}, thanks for letting us know. We're looking into "
        "this now and will get back to you here shortly.",
        "Thank you": "Thank you {handle}, that means a lot to the team!",
    }


class ModelSettings(Strict):
    # "default" is the model shipped in sentiment/default_model; otherwise a local
    # directory or a Hugging Face hub name (needs network on first use).
    name: str = "default"
    # Texts per pass of the torch runtime (a hub model); the shipped ONNX model reads each
    # text alone, so its reading never depends on the texts beside it.
    batch_size: int = Field(32, ge=1, le=1024)
    max_length: int = Field(64, ge=8, le=512)  # the shipped model was trained at 64
    # torch's threads, or the ONNX model's single-threaded workers; 0: torch's default,
    # or one ONNX worker per core
    threads: int = Field(0, ge=0)
    # int8 weights per output channel: with ONNX Runtime within 0.5 point of fp32 on
    # every figure (docs/model.md) and 2-3x faster; with torch it costs 0.6 point.
    quantize: bool = True
    # "onnx": ONNX Runtime; with quantize, the model folder's int8 files made by `model
    # export` (no torch), else exported once per model version into cache_dir.
    # "torch": eager torch (training extras).
    runtime: Literal["onnx", "torch"] = "onnx"
    cache_dir: Path | None = None  # None: $XDG_CACHE_HOME/mentiondesk or ~/.cache/mentiondesk
    # For models whose id2label says LABEL_0..: map those names to ours.
    label_map: dict[str, Label] = {}


class BrandSettings(Strict):
    name: str = Field(min_length=1)
    handles: list[str] = []  # the brand's own accounts, without "@"
    keywords: list[str] = []
    exclusions: list[str] = []
    languages: list[str] = []  # empty: any language
    signoff: str = ""  # appended to every draft, e.g. "^Mia"
    language: str = "en"  # the language of templates without a language prefix
    formality: Literal["casual", "formal"] = "casual"  # "Hi Dana" or "Hello Dana"
    emoji: bool = False  # templates' {emoji} becomes a tone's emoji, else nothing
    allowed_promises: list[str] = []  # phrases that may promise a refund, e.g. "refund it"
    # Overrides of the triage model: a mention with one of these always / never needs a
    # reply (always wins), added to [triage] always_reply_words.
    always_reply_words: list[str] = []
    never_reply_words: list[str] = []
    # false: this brand's mentions never go to the AI model ([responder.ai]), whatever
    # responder.ai.enabled says (a brand whose data must not leave, or whose tone the
    # model gets wrong).
    ai_drafts: bool = True

    @model_validator(mode="after")
    def _has_terms(self) -> BrandSettings:
        if not self.handles and not self.keywords:
            raise ValueError("a brand needs at least one handle or keyword")
        return self


# Each platform's source settings model lives in its folder (listener/<platform>/settings.py)
# and reaches config by registration from above: listener.platforms calls
# register_sources(), so config imports no network. Until then ``Settings`` is not fully
# defined (pydantic says so on first use); "platform" picks the model.
SOURCE_MODELS: dict[str, type[SourceBase]] = {}
if TYPE_CHECKING:
    SourceSettings = SourceBase


def register_sources(models: Iterable[type[SourceBase]]) -> None:
    """Make ``models`` (each with a ``platform`` literal) the source settings ``Settings``
    accepts. Called by the platform registry when it is imported; idempotent."""
    for model in models:
        (name,) = get_args(model.model_fields["platform"].annotation)  # Literal["x"]
        SOURCE_MODELS[name] = model
    globals()["SourceSettings"] = Annotated[
        Union[tuple(SOURCE_MODELS.values())],  # noqa: UP007 (built at runtime)
        Field(discriminator="platform"),
    ]
    Settings.model_rebuild(force=True)


class TopicSettings(Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = []
    description: str = ""
    kb_link: str = ""


class TriageSettings(Strict):
    # Decision thresholds of the model's heads; None: the model's own, chosen on
    # validation data when it was trained (docs/model.md). needs_reply is the confident
    # bar: under it (down to unsure_threshold) a mention is queued unsure.
    # complaint_threshold is the negative score that makes a complaint for a model
    # without a complaint head.
    needs_reply_threshold: float | None = Field(None, ge=0, le=1)
    complaint_threshold: float = Field(0.5, ge=0, le=1)
    spam_threshold: float | None = Field(None, ge=0, le=1)
    sarcasm_threshold: float | None = Field(None, ge=0, le=1)
    # Literal praise that asks nothing, reports no problem and is no complaint needs the
    # model's needs_reply at least this high to be queued (None: the model's own bar,
    # chosen with where its queue begins; a model without one has no bar).
    praise_threshold: float | None = Field(None, ge=0, le=1)
    # The needs_reply (confident) bar drops to this (when lower than the model's) where
    # more than the model says a reply may be owed: a help word, question or urgency
    # word in a mention addressed to the brand, someone answering our reply. A mention
    # not in English (the model reads English best) is queued from here, but unsure.
    lowered_threshold: float = Field(0.15, ge=0, le=1)
    # A mention whose served tone is positive with at least confident_praise is a
    # complaint (by the complaint head) only from praise_complaint_factor times the
    # head's bar: thanks that mention a past trouble is no complaint to answer.
    confident_praise: float = Field(0.8, ge=0, le=1)
    praise_complaint_factor: float = Field(2.0, ge=1)
    bystander_priority: float = Field(0.5, ge=0, le=1)  # priority factor for bystanders
    # Safety and fraud: these always need a reply, whatever the model says. Settings
    # checks that every responder safety word and safety-lead word is one of these, so
    # a danger the drafts answer is never left unanswered by triage.
    always_reply_words: list[str] = [*SAFETY_WORDS, *ACCOUNT_WORDS]
    # Topic by meaning (encoder similarity to each topic's name, description and
    # keywords) or by keyword hits; below topic_min_similarity the topic is "general".
    topic_method: Literal["meaning", "keywords"] = "meaning"
    topic_min_similarity: float = Field(0.25, ge=-1, le=1)
    question_words: list[str] = [
        "how", "why", "what", "when", "where", "can", "could", "does", "is", "will",
        "do", "did", "are", "would", "who", "which", "should", "any", "anyone",
    ]
    help_words: list[str] = [
        "help", "support", "fix", "refund", "broken", "not working", "issue", "problem",
        "cancel", "charged", "never arrived", "still waiting", "can't", "cannot", "anyone else",
        # The shipped model reads English; these catch common pleas in other languages.
        "ayuda", "reembolso", "no funciona", "hilfe", "geht nicht", "störung", "erstattung",
        "remboursement", "ne marche pas", "ajuda", "não funciona", "reembolso",
        "返金", "障害", "繋がらない", "مساعدة", "متوقف",
    ]
    urgency_words: list[str] = [
        "outage", "down", "refund", "cancel", "safety", "fire", "smoke", "legal",
        "lawyer", "urgent", "asap", "emergency", "scam", "fraud", "hacked",
    ]
    spam_words: list[str] = [
        "giveaway", "crypto", "follow back", "follow for follow", "follow4follow", "f4f",
        "dm for promo", "airdrop",
    ]
    # A mention addressed to the brand that asks, waits or reports a problem in these
    # words is never dropped as praise or spam by the model (issue 17): it goes to the
    # queue, marked unsure when the model doubts it.
    request_words: list[str] = [
        "i was wondering", "wondering", "when do i", "when will", "where is my", "how do i",
        "how can i", "is there a way", "please", "pls", "plz", "trying to", "unable to",
        "keeps saying", "still haven't", "haven't received", "hasn't arrived", "not received",
        "did not receive", "didn't receive", "waiting for", "waiting on", "locked out",
        "let me know", "any update", "can you", "could you", "i need", "i want to",
        "help me", "need help", "please help", "pls help", "still waiting", "never arrived",
        "not working", "refund", "sent you a dm", "sent a dm", "dm'd you", "dmed you",
        "dm'ed you", "messaged you", "direct messaged you", "sent you a message",
        "check your dm", "same request", "where is", "where's my", "keep me updated",
        "keep me posted", "keep us updated", "keep us posted",
    ]
    # A problem reported in these words; under a positive tone it reads as sarcasm.
    problem_words: list[str] = [
        "doesn't work", "does not work", "not working", "isn't working", "won't", "wont",
        "stopped working", "broke", "broken", "died", "dead", "crashed", "crashes", "crashing",
        "error", "removes me", "logged out", "can't access", "cannot access", "missing",
        "lost my", "charged twice", "double charged", "not available", "unavailable", "failed",
        "frozen", "freezes", "no signal", "no internet", "no service", "doesnt work",
        "isnt working", "wont load", "won't load", "won't open", "not loading", "can't log in",
        "can't login", "cannot log in", "keeps crashing", "is down", "been charged",
    ]
    # Where the queue begins: the needs_reply band below the model's threshold that
    # still goes to the queue, marked unsure and ranked at unsure_priority of its
    # priority (None: the model's own).
    unsure_threshold: float | None = Field(None, ge=0, le=1)
    unsure_priority: float = Field(0.5, ge=0, le=1)
    # Priority is a weighted sum of factors in [0, 1]; weights need not add to 1.
    weight_negativity: float = Field(0.4, ge=0)
    weight_reach: float = Field(0.15, ge=0)
    weight_urgency: float = Field(0.25, ge=0)
    weight_waiting: float = Field(0.2, ge=0)
    reach_saturation: int = Field(100_000, gt=0)  # followers at which reach counts fully
    offer_thanks: bool = True  # praise gets an optional low-priority thank-you draft


class SlaSettings(Strict):
    first_response_minutes: int = Field(60, gt=0)


class PolicySettings(Strict):
    """The reply policy's word lists (responder/policy.py); '*' ends a prefix."""

    private_data: list[str] = [
        "password", "passcode", "pin", "cvv", "cvc", "security code", "verification code",
        "one-time code", "2fa code", "card number", "credit card", "debit card", "card details",
        "account number", "bank details", "bank account", "iban", "social security", "ssn",
        "your address", "home address", "full address", "shipping address",
        "delivery address", "street address", "phone number", "mobile number",
        "order number", "order id",
        "order #", "date of birth", "login details", "login email", "email address",
    ]
    ask_words: list[str] = [
        "send", "share", "post", "tell", "give", "reply with", "reply", "provide", "include",
        "type", "enter", "confirm", "verify", "drop", "comment", "leave", "list", "what's",
        "what is", "need your", "need the", "can we have",
    ]
    private_channel_words: list[str] = [
        "DM", "DMs", "direct message", "private message", "PM", "privately", "never post",
        "never share", "don't post", "do not post", "never your",
    ]
    commitment_words: list[str] = [
        "we'll", "we will", "we can", "we're going to", "we are going to", "i'll", "i will",
        "you'll get", "you will get", "you'll receive", "you will receive", "happy to",
        "guarantee", "promise",
    ]
    promise_words: list[str] = [
        "refund*", "compensat*", "reimburs*", "money back", "credit your account",
        "account credit", "free month*", "voucher*", "discount*", "make it up",
    ]
    spam_words: list[str] = [
        "follow back", "followback", "follow 4 follow", "f4f", "link in bio", "dm me",
        "work from home", "workfromhome", "90% off", "70% off", "50% off", "clearance sale",
        "best quality", "check out our",
    ]
    scam_words: list[str] = [
        "airdrop", "presale", "token", "wallet*", "nft", "mint", "btc", "bitcoin", "crypto",
        "giveaway", "claim now", "claim your", "verify at", "login details", "t.me/",
        "bit.ly/", "receive 0.", "100x",
    ]
    abuse_words: list[str] = [
        "kill yourself", "kys", "i will find you", "you're dead", "retard*", "go die",
        "piece of shit", "fuck you", "f*** you",
    ]
    # An order id as this brand writes them (case-insensitive regular expression).
    order_id_pattern: str = (r"(?:\border\s*(?:#|no\.?|number|nr\.?)?\s*#?\s*\d{5,}\b"
                             r"|\b[A-Z]{2,5}-\d{5,}\b)")
    one_reply_per_thread: bool = True


class KbArticle(Strict):
    """A knowledge-base article a draft may link."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://\S+$")
    description: str = ""  # a sentence or two: what the article answers
    topics: list[str] = []  # triage topics it belongs to (a small bonus when they match)
    language: str = "en"
    # How customers ask for it, in any language; a mention near one of these is near
    # the article (the encoder reads English best, so other languages need examples).
    examples: list[str] = []


class SafetyLead(Strict):
    """The sentence a draft starts with when the mention has one of ``words``."""

    # Matched as whole words, case-insensitive; none: ``responder.safety_words``, so the
    # words that pick "+safety" templates and those that lead with "unplug it" are one list.
    words: list[str] = []
    text: str = Field(min_length=1)


class AiSettings(Strict):
    """An OpenAI-compatible chat-completions model that writes a second draft beside the
    template one (docs/responder.md). The key comes only from MENTIONDESK_AI_API_KEY."""

    enabled: bool = False  # off: the desk works on templates alone
    base_url: str = "http://127.0.0.1:11434/v1"  # Ollama's; ".../chat/completions" is added
    model: str = ""  # e.g. "llama3.1:8b", "gpt-4o-mini"
    timeout_seconds: float = Field(20, gt=0, le=300)  # one answer, whole, or give up
    max_tokens: int = Field(300, ge=16, le=8192)
    temperature: float = Field(0.3, ge=0, le=2)
    examples: int = Field(3, ge=0, le=10)  # nearest approved past replies in the prompt
    batch_size: int = Field(8, ge=1)  # drafts one run of the job asks for at most
    max_attempts: int = Field(3, ge=1, le=10)  # timeouts, 5xx and 429s before giving up
    retry_seconds: float = Field(30, ge=0)  # first back-off; doubles per attempt
    retry_max_seconds: float = Field(900, ge=0)
    max_age_hours: float = Field(24, gt=0)  # older pending drafts are not sent to the model

    @model_validator(mode="after")
    def _usable(self) -> AiSettings:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("base_url: needs an http(s) URL")
        if self.enabled and not self.model.strip():
            raise ValueError("model: needed when enabled (the name the server knows it by)")
        return self


class ResponderSettings(Strict):
    # Templates by key, tried from most to least specific: "topic.label", "topic",
    # "question", "label", "default"; a key may end in "@platform" and start with "lang:"
    # ("es:delivery.negative@x"). A value is one text or a list of variants.
    # Placeholders: {greeting} {name} {handle} {brand} {kb_line} {kb_link} {kb_title}
    # {emoji} {signoff}.
    templates: dict[str, str | list[str]] = {
        "default": ["{greeting}, thanks for reaching out. We're looking into this and will "
                    "follow up shortly. {signoff}"],
        "question": ["{greeting}, good question! {kb_line}{signoff}"],
        "negative": ["{greeting}, we're sorry about this. Please send us a DM with the "
                     "details so we can sort it out. {kb_line}{signoff}"],
        "positive": ["Thank you {name}, that means a lot to the team! {emoji}{signoff}"],
    }
    kb_line: str = "This may help: {kb_link} "
    # Overrides only: a platform not listed keeps its network's own limit (listener.platforms).
    length_limits: dict[str, Annotated[int, Field(gt=0)]] = {}
    policy: PolicySettings = PolicySettings()
    knowledge_base: list[KbArticle] = []
    kb_threshold: float = Field(0.45, ge=-1, le=1)  # below this similarity: no article
    kb_topic_bonus: float = Field(0.05, ge=0, le=1)  # added when the article's topic matches
    kb_lexical_weight: float = Field(0.5, ge=0, le=2)  # weight of shared character n-grams
    # A draft uses its topic's own template ("sorry about the billing trouble") only when
    # the topic is sure: no other topic's keywords in the message and, by meaning, a lead
    # of at least this over the next topic; else the tone's general template
    # (sentiment.topics.sure_topic, docs/responder.md).
    template_topic_margin: float = Field(0.02, ge=0, le=1)
    emoji_by_tone: dict[str, str] = {"positive": "💛", "neutral": "🙂", "negative": ""}
    # {greeting} per language: [casual, formal] ("Hi Dana" / "Hello Dana").
    greetings: dict[str, Annotated[list[str], Field(min_length=2, max_length=2)]] = {
        "en": ["Hi", "Hello"], "es": ["Hola", "Buenos días"], "de": ["Hallo", "Guten Tag"],
        "fr": ["Bonjour", "Bonjour"], "pt": ["Olá", "Olá"], "it": ["Ciao", "Buongiorno"],
    }
    nobody: str = "there"  # who {greeting} names when the name and handle are unknown
    # The same per language; a language not listed greets nobody by a word ("Bonjour,"),
    # so English never leaks into another language's greeting ("Bonjour there").
    nobody_by_language: dict[str, str] = {"en": "there"}
    # A mention with one of these is a safety mention: "+safety" templates come first,
    # and a safety lead with no words of its own (the "unplug it" one) opens its drafts.
    # The one list of physical-danger words; each must be a triage always-reply word.
    safety_words: list[str] = list(SAFETY_WORDS)
    # A template variant with one of these gives safety advice ("if there's smoke,
    # unplug it"): it is only ever offered on a safety mention.
    safety_phrases: list[str] = ["smoke", "heat", "unplug", "fire", "burn", "spark",
                                 "shock", "melt"]
    past_reply_threshold: float = Field(0.6, ge=-1, le=1)  # similarity for a second option
    past_reply_days: int = Field(180, ge=1)  # how far back approved replies are reused
    repeat_window_hours: float = Field(24, ge=0)  # no sentence twice to one author within
    reminder_hours: float = Field(0, ge=0)  # remind when the customer has not answered; 0 off
    # The private follow-up a reminder suggests ({handle}: the customer as the platform
    # names them); a second public reply would break the one-reply-per-thread rule.
    reminder_text: str = ("Hi {handle}, just checking in: is everything sorted now? If not, "
                          "tell us here and we'll pick it up.")
    # A mention with one of a lead's words gets a draft that starts with its text,
    # whoever writes the draft (template or model): the safety step comes first.
    safety_leads: list[SafetyLead] = [
        SafetyLead(text="For your safety, please unplug it and stop using it for now."),
        SafetyLead(words=list(ACCOUNT_WORDS),
                   text="Please change your password now and never share a code with "
                        "anyone, us included."),
    ]
    ai: AiSettings = AiSettings()

    def leads(self) -> list[SafetyLead]:
        """The safety leads with their words filled in: a lead without words of its own
        answers ``safety_words``."""
        return [lead if lead.words else lead.model_copy(update={"words": self.safety_words})
                for lead in self.safety_leads]

    @model_validator(mode="after")
    def _templates_render(self) -> ResponderSettings:
        """Every template formats with the known placeholders. Whether the rendered text
        keeps the reply policy is the responder's rule, checked where settings are loaded
        (responder.policy.check_templates through pipeline.settings.load_settings)."""
        self.rendered_samples()  # raises on a bad placeholder
        if "default" not in self.templates:
            raise ValueError("templates need a 'default' entry")
        for key in self.templates:
            lang, colon, _ = key.partition(":")
            if colon and lang not in self.greetings:
                raise ValueError(f"template {key!r}: no greeting in {lang!r} (responder."
                                 f"greetings), so it would open in another language")
        return self

    def rendered_samples(self) -> list[tuple[str, str]]:
        """(key, text) for every template variant, kb_line and reminder_text rendered with
        a sample value per placeholder; ValueError names a bad placeholder."""
        sample = {k: "x" for k in ("greeting", "name", "handle", "brand", "kb_link",
                                   "kb_title", "emoji", "signoff", "kb_line")}
        variants = [(key, text) for key, value in self.templates.items()
                    for text in ([value] if isinstance(value, str) else value)]
        leads = [(f"safety_leads.{i}", lead.text.replace("{", "{{").replace("}", "}}"))
                 for i, lead in enumerate(self.safety_leads)]
        rendered = []
        for key, template in [*variants, ("kb_line", self.kb_line),
                              ("reminder_text", self.reminder_text), *leads]:
            try:
                rendered.append((key, template.format(**sample)))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(f"template {key!r}: bad placeholder {exc}") from None
        return rendered


class MetricsSettings(Strict):
    export_dir: Path = Path("data/exports")
    rollup_interval_seconds: float = Field(60, gt=0)
    timezone: str = "UTC"  # IANA name; the digest's day and send time are local to it
    digest_enabled: bool = True
    digest_time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    digest_dir: Path | None = None  # None: <app.data_dir>/digests
    # Base of inbox links in digests and alerts; empty: the [web] host and port the desk
    # serves on (``Settings.inbox_url``), so a changed port does not leave dead links.
    public_url: str = ""
    spike_baseline_days: int = Field(7, ge=1, le=60)
    spike_min_days: int = Field(3, ge=1)
    spike_min_negative: int = Field(10, ge=1)
    spike_min_volume: int = Field(20, ge=1)
    spike_ratio: float = Field(2.0, ge=1)
    spike_sigma: float = Field(3.0, ge=0)
    spike_cooldown_minutes: int = Field(120, ge=0)
    spike_examples: int = Field(3, ge=0, le=10)
    webhook_timeout_seconds: float = Field(10, gt=0, le=60)

    @model_validator(mode="after")
    def _known_timezone(self) -> MetricsSettings:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ValueError("public_url: needs an http(s) URL")
        return self


class PipelineSettings(Strict):
    triage_interval_seconds: float = Field(5, gt=0)
    draft_interval_seconds: float = Field(5, gt=0)
    publish_interval_seconds: float = Field(5, gt=0)
    batch_size: int = Field(64, ge=1)  # rows one job run handles at most
    triage_batch_size: int = Field(512, ge=1)  # mentions one triage run classifies at most
    publish_lease_seconds: float = Field(90, gt=0)  # longer than one post and its check
    publish_max_attempts: int = Field(5, ge=1)
    publish_retry_seconds: float = Field(30, ge=0)  # first back-off; doubles per attempt
    publish_retry_max_seconds: float = Field(3600, ge=0)
    undo_seconds: float = Field(10, ge=0, le=600)  # an approved reply waits this long
    # How often unanswered mentions are checked for deletion on their platform (X wants
    # deleted posts gone from the app within 24 hours; each X lookup is a paid post read).
    gone_check_interval_seconds: float = Field(21600, gt=0)
    # A conversation whose customer has not written for this long after our latest reply
    # gets the outcome no_answer (docs/outcomes-guide.md); their later message re-decides.
    outcome_wait_hours: float = Field(48, gt=0)
    outcome_interval_seconds: float = Field(60, gt=0)  # how often outcomes are decided


class Settings(Strict):
    app: AppSettings = AppSettings()
    web: WebSettings = WebSettings()
    model: ModelSettings = ModelSettings()
    brands: list[BrandSettings] = Field(min_length=1)
    sources: list[SourceSettings] = []
    topics: list[TopicSettings] = []
    triage: TriageSettings = TriageSettings()
    sla: SlaSettings = SlaSettings()
    responder: ResponderSettings = ResponderSettings()
    metrics: MetricsSettings = MetricsSettings()
    pipeline: PipelineSettings = PipelineSettings()

    @model_validator(mode="after")
    def _references(self) -> Settings:
        brands = {b.name for b in self.brands}
        names: set[str] = set()
        for i, source in enumerate(self.sources):
            if source.brand not in brands:
                raise ValueError(f"sources.{i}.brand: unknown brand {source.brand!r}")
            if source.name in names:
                raise ValueError(f"sources.{i}.name: duplicate source name {source.name!r}")
            names.add(source.name)
        # A word that makes a draft lead with safety advice must also make triage keep
        # the mention: otherwise the desk could drop a fire it knows how to answer.
        always = {w.lower() for w in self.triage.always_reply_words}
        danger = [*self.responder.safety_words,
                  *(w for lead in self.responder.leads() for w in lead.words)]
        if missing := list(dict.fromkeys(w for w in danger if w.lower() not in always)):
            raise ValueError("responder safety words must be triage always_reply_words "
                             f"too (add them to [triage]): {', '.join(missing)}")
        return self

    def inbox_url(self) -> str:
        """Where people open the web inbox: ``metrics.public_url``, or else the address
        the desk serves on (a wildcard bind address read as this machine)."""
        if self.metrics.public_url:
            return self.metrics.public_url.rstrip("/")
        host = "127.0.0.1" if self.web.host in ("", "0.0.0.0", "::") else self.web.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.web.port}"

    def brand(self, name: str) -> BrandSettings:
        """The brand called ``name``; a row stored under a brand since renamed or removed
        raises ConfigError (a row to set aside, not a crash)."""
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise ConfigError("settings", "brands", f"no brand named {name!r} (renamed or removed?)")

    def sources_by_name(self) -> dict[str, SourceSettings]:
        return {s.name: s for s in self.sources}
