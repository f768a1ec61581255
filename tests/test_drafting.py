"""Drafts that read like a person wrote them: the right template and variant, the
customer's name, the brand's voice and language, no repeats, within the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import BrandSettings, KbArticle, ResponderSettings
from listener.platforms import PLATFORMS
from listener.x.length import x_length
from pipeline.settings import load_settings as load
from responder.drafting import (
    PlatformRules,
    Request,
    adapt,
    draft,
    first_name,
    sentences,
    template_keys,
)
from responder.policy import check_responder, violations

REPO = Path(__file__).resolve().parent.parent
BRAND = BrandSettings(name="Lumora", handles=["lumora"], signoff="^Mia")
ARTICLE = KbArticle(title="Where is my order?", url="https://help.lumora.example/orders",
                    topics=["delivery"])
TEMPLATES = {
    "default": ["{greeting}, thanks for reaching out. {signoff}"],
    "negative": ["{greeting}, sorry about this. {kb_line}{signoff}",
                 "{greeting}, sorry about this. DM us and we'll help. {signoff}"],
    "positive": ["{greeting}, thank you! {emoji} {signoff}"],
    "delivery.negative": [
        "{greeting}, sorry your order is late. DM us the order number. {kb_line}{signoff}",
        "{greeting}, that's not the delivery we promised. DM us and we'll chase it. "
        "{kb_line}{signoff}",
        "{greeting}, sorry your parcel is late. Send us a DM. {signoff}",
    ],
    "delivery@reddit": ["{greeting}, thanks for asking about delivery. {kb_line}{signoff}"],
    "delivery": ["{greeting}, about your order: {kb_line}{signoff}"],
    "es:negative": ["{greeting}, sentimos lo ocurrido. Envíanos un DM. {signoff}"],
}
SETTINGS = ResponderSettings(templates=TEMPLATES, kb_line="This should help: {kb_link} ")


def rules(platform: str = "x", limit: int | None = None) -> PlatformRules:
    p = PLATFORMS[platform]
    return PlatformRules(platform, limit or p.reply_limit, p.reply_length, p.address)


def ask(handle="dana_k", name="Dana Kowalski", label="negative", topic="delivery",
        question=False, lang="en", seed=1, text="", safety=False) -> Request:
    return Request(handle=handle, author_name=name, label=label, topic=topic,
                   question=question, lang=lang, seed=seed, text=text, safety=safety)


def test_template_keys_most_specific_first_and_praise_gets_thanks():
    assert template_keys("delivery", "negative", False) == [
        "delivery.negative", "delivery", "negative", "default"]
    assert template_keys("general", "neutral", True) == ["question", "neutral", "default"]
    # An upset customer's question is apologised for before it is called a good one.
    assert template_keys("general", "negative", True) == ["negative", "question", "default"]
    # Praise about a topic is thanked, not answered with the topic's help text.
    assert template_keys("billing", "positive", False) == [
        "billing.positive", "positive", "default"]


@pytest.mark.parametrize(("name", "handle", "expected"), [
    ("Dana Kowalski", "dana_k", "Dana"),
    ("DANA", "x1", "Dana"),
    ("🌶️ wifi goblin", "spicy", ""),
    ("[deleted]", "[deleted]", ""),
    ("kyle_from_ops", "kyle_from_ops", ""),
    ("noodle", "noodle_disaster", ""),
    ("Dana", "dana", "Dana"),
    ("田中", "jp_hikari", "田中"),
    ("", "ann", ""),
])
def test_first_name_only_when_it_looks_like_one(name, handle, expected):
    assert first_name(name) == expected


def test_greets_by_name_else_handle_never_deleted():
    assert draft(ask(), BRAND, SETTINGS, rules()).text.startswith("Hi Dana,")
    assert draft(ask(name=""), BRAND, SETTINGS, rules()).text.startswith("Hi @dana_k,")
    reddit = draft(ask(handle="[deleted]", name=""), BRAND, SETTINGS, rules("reddit"))
    assert reddit.text.startswith("Hi there,") and "deleted" not in reddit.text
    unexpanded = draft(ask(handle="", name=""), BRAND, SETTINGS, rules())  # X hid the author
    assert unexpanded.text.startswith("Hi there,")
    formal = BRAND.model_copy(update={"formality": "formal"})
    assert draft(ask(), formal, SETTINGS, rules()).text.startswith("Hello Dana,")


def test_article_variants_only_with_an_article_and_platform_templates_first():
    with_article = draft(ask(), BRAND, SETTINGS, rules(), article=ARTICLE)
    assert "https://help.lumora.example/orders" in with_article.text
    assert with_article.template.startswith("delivery.negative#")
    without = draft(ask(), BRAND, SETTINGS, rules())
    assert without.template == "delivery.negative#2" and "http" not in without.text
    reddit = draft(ask(label="neutral"), BRAND, SETTINGS, rules("reddit"), article=ARTICLE)
    assert reddit.template == "delivery@reddit#0"


def test_the_variant_is_chosen_by_what_the_message_says_not_rotated():
    # The same message gets the same variant whatever its id: no blind rotation.
    picked = {draft(ask(seed=s), BRAND, SETTINGS, rules(), article=ARTICLE).template
              for s in range(20)}
    assert picked == {"delivery.negative#0"}
    # The variant sharing the customer's words comes first ("parcel", not "order").
    parcel = draft(ask(text="my parcel is late again, where is it"), BRAND, SETTINGS,
                   rules())
    assert parcel.template == "delivery.negative#2" and "parcel" in parcel.text
    promised = draft(ask(text="this is not the delivery you promised"), BRAND, SETTINGS,
                     rules(), article=ARTICLE)
    assert promised.template == "delivery.negative#1"


SAFETY = ResponderSettings(templates={
    **TEMPLATES,
    "defect.negative": [
        "{greeting}, sorry about this. If there's any heat or smoke, unplug it now. {signoff}",
        "{greeting}, sorry your gear isn't working. DM us and we'll fix it. {signoff}"],
    "negative+safety": ["{greeting}, please unplug it now and DM us. {signoff}"],
    "question+question": ["{greeting}, happy to answer. {signoff}"],
}, kb_line="This should help: {kb_link} ")


def test_safety_advice_only_on_safety_mentions():
    crushed = ask(topic="defect", text="box showed up crushed and the bulbs rattle")
    for seed in range(10):
        text = draft(Request(**{**crushed.__dict__, "seed": seed}), BRAND, SAFETY,
                     rules()).text
        assert "smoke" not in text and "unplug" not in text
    smoke = draft(ask(topic="defect", text="the strip is smoking", safety=True), BRAND,
                  SAFETY, rules())
    # Safety outranks the topic's own template, and its advice is offered.
    assert smoke.template == "negative+safety#0" and "unplug it now" in smoke.text
    # A question tries its "+question" template first, a report never does.
    assert draft(ask(label="neutral", topic="general", question=True), BRAND, SAFETY,
                 rules()).template == "question+question#0"
    assert not draft(ask(label="neutral", topic="general"), BRAND, SAFETY,
                     rules()).template.startswith("question")


def test_native_greetings_in_every_language():
    french = ResponderSettings(templates={**TEMPLATES, "fr:negative": [
        "{greeting}, nous sommes désolés. {signoff}"]})
    text = draft(ask(handle="", name="", lang="fr"), BRAND, french, rules()).text
    assert text.startswith("Bonjour, nous sommes désolés") and "there" not in text
    assert draft(ask(handle="", name="", lang="es"), BRAND, SETTINGS,
                 rules()).text.startswith("Hola, sentimos")
    assert draft(ask(handle="", name=""), BRAND, SETTINGS, rules()).text.startswith("Hi there,")
    with pytest.raises(ValueError, match="no greeting in 'sv'"):
        ResponderSettings(templates={**TEMPLATES, "sv:negative": "{greeting}, förlåt."})


def test_never_the_same_sentence_twice_to_one_author():
    first = draft(ask(), BRAND, SETTINGS, rules(), article=ARTICLE)
    second = draft(ask(seed=2), BRAND, SETTINGS, rules(), article=ARTICLE,
                   recent=[first.text])
    assert not (set(sentences(first.text)) - {"mia"}) & set(sentences(second.text)) - {
        "this should help https help lumora example orders"}
    third = draft(ask(seed=3), BRAND, SETTINGS, rules(), article=ARTICLE,
                  recent=[first.text, second.text])
    assert third.text not in (first.text, second.text)
    assert set(sentences(third.text)).isdisjoint(
        set(sentences(first.text)) | set(sentences(second.text))
        - {"mia", "this should help https help lumora example orders"})


def test_customers_language_when_templates_exist_else_a_note():
    spanish = draft(ask(lang="es", name="Sofía Martínez"), BRAND, SETTINGS, rules())
    assert spanish.text.startswith("Hola Sofía, sentimos") and spanish.lang == "es"
    assert spanish.notes == []
    japanese = draft(ask(lang="ja", name="Yuki Tanaka"), BRAND, SETTINGS, rules())
    assert japanese.lang == "en" and japanese.text.startswith("Hi Yuki")
    assert japanese.notes == ["The customer wrote in Japanese: answer in Japanese (no "
                              "templates in it yet; this draft is in English)."]


def test_emoji_only_when_the_brand_wants_them():
    assert "💛" not in draft(ask(label="positive"), BRAND, SETTINGS, rules()).text
    happy = BRAND.model_copy(update={"emoji": True})
    assert "💛" in draft(ask(label="positive"), happy, SETTINGS, rules()).text


@pytest.mark.parametrize("platform", ["x", "reddit", "replay"])
@pytest.mark.parametrize("limit", [40, 90, 280])
def test_always_within_the_limit(platform, limit):
    long = ResponderSettings(templates={"default": "{greeting}, " + "sorry " * 80
                                        + "{kb_line}{signoff}"})
    for request in (ask(), ask(handle="a" * 15, name=""), ask(name="日本 太郎")):
        text = draft(request, BRAND, long, rules(platform, limit), article=ARTICLE).text
        assert PLATFORMS[platform].reply_length(text) <= limit


def test_the_article_line_goes_before_the_words_are_cut():
    tight = rules("x", 75)
    made = draft(ask(), BRAND, SETTINGS, tight, article=ARTICLE)
    text = made.text
    assert x_length(text) <= 75 and "http" not in text and not text.endswith("…")
    # The agent is told why the link is missing (no fault of anyone's), once.
    assert [n for n in made.notes if "left out" in n] == [
        "The guide link was left out to fit 75 characters: add it in place of other "
        "words if it matters more."]
    # A link that fits gets no such note.
    assert not [n for n in draft(ask(), BRAND, SETTINGS, rules(), article=ARTICLE).notes
                if "left out" in n]


def test_a_past_reply_is_readdressed_to_the_new_customer():
    old = "Hi Dana, sorry about the double charge. DM us and we'll sort it. ^Mia"
    text = adapt(old, "dana_k", "Dana Kowalski", ask(handle="bo_b", name="Bo Berg"),
                 BRAND, SETTINGS, rules())
    assert text == "Hi Bo, sorry about the double charge. DM us and we'll sort it. ^Mia"
    text = adapt("Hi @dana_k, on it.", "dana_k", "", ask(handle="bo_b", name=""), BRAND,
                 SETTINGS, rules())
    assert text == "Hi @bo_b, on it."


def test_x_length_counts_urls_as_23_and_wide_characters_double():
    assert x_length("https://example.com/" + "a" * 100) == 23
    assert x_length("日本") == 4
    assert x_length("abc") == 3


def test_templates_are_checked_against_the_policy_at_start_up():
    assert violations("Please reply with your password so we can check")
    assert violations("Please DM us your order number") == []
    with pytest.raises(ValueError, match="template 'default'"):
        check_responder(
            ResponderSettings(templates={"default": "{greeting}, post your card number here"}))
    with pytest.raises(ValueError, match="bad placeholder"):
        ResponderSettings(templates={"default": ["ok", "{nope}"]})


LEAD = "For your safety, please unplug it and stop using it for now."


def test_the_safety_lead_follows_the_greeting_and_is_never_repeated():
    smoke = draft(ask(topic="defect", text="the strip is smoking", safety=True), BRAND,
                  SAFETY, rules(), lead=LEAD)
    assert smoke.text.startswith("Hi Dana, for your safety, please unplug it and stop using "
                                 "it for now. Please unplug it now and DM us.")
    # The same customer again within the day: the lead may come again, the rest may not.
    again = draft(ask(topic="defect", text="the strip is smoking", safety=True), BRAND,
                  SAFETY, rules(), lead=LEAD, recent=[smoke.text])
    assert "for your safety" in again.text and again.template != smoke.template
    # A template without a greeting still opens with the instruction.
    bare = ResponderSettings(templates={"default": ["Sorry about this. {signoff}"]})
    assert draft(ask(label="neutral", topic="general"), BRAND, bare, rules(),
                 lead=LEAD).text.startswith(LEAD)


def test_one_list_of_safety_words_drives_templates_leads_and_triage():
    """"overheating" picked "+safety" templates but not the "unplug it" lead, whose words
    were a second, shorter list: the draft had no safety instruction at all."""
    from config.settings import SafetyLead, Settings, TriageSettings

    leads = {lead.text: lead.words for lead in ResponderSettings().leads()}
    assert leads[LEAD] == ResponderSettings().safety_words
    assert "overheating" in leads[LEAD] and "too hot to touch" in leads[LEAD]
    mine = ResponderSettings(safety_words=["smoke", "smouldering"])
    assert mine.leads()[0].words == ["smoke", "smouldering"]
    # Every such word also makes triage keep the mention; a config that forgets is refused.
    always = TriageSettings().always_reply_words
    assert set(ResponderSettings().safety_words) <= set(always)
    assert {"hacked", "fraud"} <= set(always)
    with pytest.raises(ValueError, match="smouldering"):
        Settings(brands=[BRAND], responder=mine)
    with pytest.raises(ValueError, match="recall"):
        Settings(brands=[BRAND], responder=ResponderSettings(
            safety_leads=[SafetyLead(words=["recall"], text="Please stop using it.")]))
    Settings(brands=[BRAND], responder=mine,
             triage=TriageSettings(always_reply_words=[*always, "smouldering"]))


def test_a_variant_written_around_a_guide_is_not_used_without_one():
    """The demo's second mention from one customer, with no article: the only variant
    left that did not repeat was "sorry your lights are offline. If that doesn't fix it,
    DM us" (its guide line empty), pointing at nothing. The next key answers instead."""
    settings = ResponderSettings(templates={
        "default": ["{greeting}, thanks for reaching out. {signoff}"],
        "negative": ["{greeting}, sorry to hear this. DM us a few details. {signoff}"],
        "outage.negative": [
            "{greeting}, sorry your lights are offline. {kb_line}If that doesn't fix it, DM "
            "us. {signoff}",
            "{greeting}, sorry about this. We're checking it now. {signoff}"],
    })
    first = draft(ask(topic="outage"), BRAND, settings, rules())
    assert first.template == "outage.negative#1"
    second = draft(ask(topic="outage"), BRAND, settings, rules(), recent=[first.text])
    assert second.template == "negative#0" and "If that doesn't" not in second.text
    # With a guide, the variant written around it is the one used.
    linked = draft(ask(topic="outage"), BRAND, settings, rules(), recent=[first.text],
                   topic_link="https://status.lumora.example")
    assert linked.template == "outage.negative#0" and "status.lumora" in linked.text
    # A key whose every variant has the guide line (at its end) reads fine without it.
    ending = ResponderSettings(templates={
        "default": ["{greeting}, thanks for reaching out. {signoff}"],
        "billing.negative": ["{greeting}, sorry about the billing trouble. {kb_line}{signoff}"]})
    assert draft(ask(topic="billing"), BRAND, ending, rules()).template == "billing.negative#0"


def test_a_general_draft_answers_the_customers_own_words():
    """An unsure topic gets the tone's template (pipeline.replies, sentiment.topics
    .sure_topic); among the demo's variants the one sharing the customer's words answers
    a complaint about support, and a billing complaint about a refund hears the refund.
    Neither is offered on words that are not theirs."""
    demo = load(REPO / "config" / "demo.toml").responder
    maze = draft(ask(topic="general", text="Lumora support is a maze. 40 min on chat, got "
                     "disconnected twice, still no refund for the hub I returned in MARCH."),
                 BRAND, demo, rules())
    assert maze.template.startswith("negative#") and "support" in maze.text
    assert "billing" not in maze.text and "offline" not in maze.text
    plain = draft(ask(topic="general", text="the app is not good, nothing works"), BRAND,
                  demo, rules())
    assert plain.template.startswith("negative#") and "support" not in plain.text
    refund = draft(ask(topic="billing", text="Refund 'processing' for 12 days for an order "
                       "that was cancelled"), BRAND, demo, rules())
    assert "refund" in refund.text and "billing trouble" not in refund.text
    twice = draft(ask(topic="billing", text="I was charged twice this month"), BRAND, demo,
                  rules())
    assert "refund" not in twice.text
