"""Drafts: the right template, the customer's handle, the link, the length limit."""

from __future__ import annotations

from config.settings import BrandSettings, ResponderSettings, TopicSettings
from listener.platforms import PLATFORMS
from listener.x.length import x_length
from responder.drafting import draft, template_for
from responder.policy import violations

BRAND = BrandSettings(name="Lumora", handles=["lumora"], signoff="^Mia")
DELIVERY = TopicSettings(name="delivery", kb_link="https://help.lumora.example/orders")


def make(topic=DELIVERY, label="negative", platform="x", settings=None, handle="ann"):
    rules = PLATFORMS[platform]
    settings = settings or ResponderSettings()
    return draft(handle=handle, author_name="Ann", brand=BRAND, topic=topic,
                 label=label, question=False, settings=settings,
                 limit=settings.length_limits[platform], length=rules.reply_length,
                 address=rules.address)


def test_template_order_is_most_specific_first():
    templates = {"default": "d", "negative": "n", "delivery": "t", "delivery.negative": "tn"}
    assert template_for(templates, "delivery", "negative", False) == "tn"
    assert template_for(templates, "delivery", "positive", False) == "t"
    assert template_for(templates, "billing", "negative", True) == "n"
    assert template_for({"default": "d", "question": "q"}, "x", "neutral", True) == "q"


def test_draft_has_handle_link_and_signoff():
    text = make()
    assert text.startswith("Hi @ann,")
    assert "https://help.lumora.example/orders" in text
    assert text.endswith("^Mia")
    assert make(platform="reddit").startswith("Hi u/ann,")


def test_draft_fits_x_limit_dropping_the_link_first_then_shortening():
    long = ResponderSettings(templates={"default": "Hi {handle}, " + "sorry " * 60
                                        + "{kb_line}{signoff}"})
    text = make(settings=long)
    assert x_length(text) <= 280 and text.endswith("…")
    assert x_length(make(handle="a" * 15)) <= 280


def test_x_length_counts_urls_as_23_and_wide_characters_double():
    assert x_length("https://example.com/" + "a" * 100) == 23
    assert x_length("日本") == 4
    assert x_length("abc") == 3


def test_policy_flags_asking_for_private_data_in_public():
    assert violations("Please reply with your password so we can check")
    assert violations("Send us your card number") != []
    assert violations("Please DM us your order number") == []
    assert violations("Please send us a DM with your phone number") == []


def test_a_deleted_author_is_not_greeted_by_name():
    text = make(platform="reddit", handle="[deleted]")
    assert "[deleted]" not in text and "u/" not in text
    assert text.startswith("Hi, we're sorry about this.")
    thanks = make(platform="reddit", handle="[deleted]", label="positive", topic=None)
    assert thanks.startswith("Thank you, that means a lot")
    assert make(platform="x", handle="").startswith("Hi, ")  # an author X could not expand
