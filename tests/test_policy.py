"""The reply policy, rule by rule, as a table of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.settings import PolicySettings
from responder.policy import (
    HOLDING,
    drafted_anyway,
    luhn,
    mention_flags,
    reply_problems,
    second_reply,
)

RULES = PolicySettings()

# (reply text, what the refusal names, or None when the reply may go out)
REPLIES = [
    ("Hi Dana, please reply with your password and card number here", "password and card number"),
    ("Send us your card number and CVV so we can check", "card number and cvv"),
    ("What's your account number? We'll look it up.", "account number"),
    ("Can we have your home address to send a new one?", "home address"),
    ("Post your phone number below and we'll call you.", "phone number"),
    ("Reply with your order number and we'll chase it.", "order number"),
    ("Please confirm your date of birth here.", "date of birth"),
    ("Verify your login details at our help page.", "login details"),
    ("Please DM us your order number and we'll chase the courier.", None),
    ("Send us a direct message with your phone number.", None),
    ("Please check your DMs, never post your password.", None),
    ("Sorry! Restart the app on your phone and try again.", None),
    ("We'll address this with the team today.", None),
    ("We'll refund you today.", "promises a refund"),
    ("You will receive a full refund within 5 days.", "promises a refund"),
    ("We're going to compensate all Plus users.", "promises a compensat"),
    ("We can offer a voucher for the trouble.", "promises a voucher"),
    ("Our refund policy is here: https://help.example/refunds", None),
    ("We'll check the status of your refund request by DM.", "promises a refund"),
    ("", "empty"),
    ("   \n ", "empty"),
]


@pytest.mark.parametrize(("text", "named"), REPLIES)
def test_reply_rules(text, named):
    problems = reply_problems(text, len(text), 280, "x", RULES)
    if named is None:
        assert problems == []
    else:
        assert len(problems) == 1 and named in problems[0]


def test_a_brand_may_allow_a_promise_phrase():
    text = "Sorry Dana, we'll refund the duplicate charge today."
    assert reply_problems(text, 50, 280, "x", RULES)
    assert reply_problems(text, 50, 280, "x", RULES,
                          allowed_promises=["refund the duplicate charge"]) == []


def test_length_is_data_and_named_with_the_platform():
    assert reply_problems("ok", 281, 280, "x", RULES) == ["it is 281 characters and x allows 280"]
    assert reply_problems("ok", 280, 280, "x", RULES) == []


def test_every_word_list_is_a_setting():
    strict = PolicySettings(private_data=["favourite colour"], ask_words=["tell"])
    assert reply_problems("Tell us your favourite colour", 10, 280, "x", strict)
    assert reply_problems("Tell us your password", 10, 280, "x", strict) == []


# (customer's post, flag kinds expected)
POSTS = [
    ("charged twice on card 4111 1111 1111 1111, fix it", ["private_data"]),
    ("card 4111 1111 1111 1112 was charged", []),  # fails Luhn: not a card number
    ("my email is dana.k@example.com if you need it", ["private_data"]),
    ("call me on +1 415 555 0132 please", ["private_data"]),
    ("call me at (415) 555-0132", ["private_data"]),
    ("order #LUM-448120 STILL not here", ["private_data"]),
    ("order 5521993 never came", ["private_data"]),
    ("firmware 4.2.1 still flickers at 20%", []),
    ("$42.98 charged twice this month", []),
    ("on 2026-11-23 my hub went offline", []),
    ("🚨 $LUMO token AIRDROP is LIVE 🚨 connect your wallet", ["scam"]),
    ("Send 0.01 BTC, receive 0.02 back verified giveaway", ["scam"]),
    ("@priya sorry! verify at lumora-help-center.com with your login details", ["scam"]),
    ("FOLLOW 4 FOLLOW retweet this #f4f #followback", ["spam"]),
    ("lonely while your lights are off? link in bio", ["spam"]),
    ("@lumora you useless company, kill yourself", ["abuse"]),
    ("@lumora my lights flicker since the update", []),
]


@pytest.mark.parametrize(("text", "kinds"), POSTS)
def test_mention_flags(text, kinds):
    assert [f.kind for f in mention_flags(text, RULES)] == kinds


def test_triage_spam_verdict_is_a_spam_flag_and_messages_are_sentences():
    flags = mention_flags("buy cheap bulbs", RULES, spam=True)
    assert [f.kind for f in flags] == ["spam"]
    private = mention_flags("my card is 4111111111111111", RULES)[0].message
    assert "delete the post" in private and private.endswith(".")


def test_a_holding_flag_on_a_mention_drafted_anyway_keeps_what_it_found():
    """A flag that would hold the draft back says what it found and drops its "no reply
    drafted" when the mention is drafted all the same (the customer asks in words)."""
    flags = [*mention_flags("free crypto tokens, fuck you", RULES),
             second_reply(RULES, our_reply_at=NOW, replied_to_author="dana", author="bob",
                          created_at=NOW + timedelta(minutes=5))]
    assert [f.kind for f in flags if f] == ["scam", "abuse", "thread"]
    for flag in flags:
        assert flag is not None and flag.kind in HOLDING
        note = drafted_anyway(flag)
        assert note.kind == flag.kind
        assert note.message.startswith(f"{flag.found}, but drafted all the same: check it")
        assert "no reply drafted" not in note.message and "second reply waits" not in note.message
        assert note.stored() == {"kind": flag.kind, "message": note.message}


def test_luhn():
    assert luhn("4111111111111111") and luhn("79927398713")
    assert not luhn("4111111111111112")


NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# (our reply time, customer we replied to, this author, minutes after our reply, flagged?)
THREADS = [
    (None, "", "dana", 5, False),  # nothing said in the thread yet
    (NOW, "dana", "dana", 5, False),  # the customer answered us
    (NOW, "dana", "bob", 5, True),  # a bystander: we do not answer twice
    (NOW, "dana", "dana", -5, True),  # her second post, written before our reply
]


@pytest.mark.parametrize(("ours", "customer", "author", "after", "flagged"), THREADS)
def test_one_reply_per_thread(ours, customer, author, after, flagged):
    flag = second_reply(RULES, our_reply_at=ours, replied_to_author=customer, author=author,
                        created_at=NOW + timedelta(minutes=after))
    assert (flag is not None) == flagged
    off = PolicySettings(one_reply_per_thread=False)
    assert second_reply(off, our_reply_at=ours, replied_to_author=customer, author=author,
                        created_at=NOW + timedelta(minutes=after)) is None
