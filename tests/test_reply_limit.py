"""One reply-limit rule: the operator's override if any, else the network's own limit."""

from __future__ import annotations

from listener.platforms import PLATFORMS, reply_limit
from pipeline.actions import text_problems


def test_an_unlisted_platform_keeps_its_networks_limit(make_settings):
    settings = make_settings()
    assert settings.responder.length_limits == {}
    for name, platform in PLATFORMS.items():
        assert reply_limit(settings, name) == platform.reply_limit
    assert reply_limit(settings, "bluesky") == 300
    assert reply_limit(settings, "reddit") == 10_000
    # 294 characters fit Bluesky's 300 (not a blanket 280) and X's 280 refuses them.
    text = "Thanks for the details, we will look into it. " * 6 + "Bye for now, Dana."
    assert len(text) == 294
    assert not any("allows" in p for p in text_problems(settings, "bluesky", text))
    assert any("allows" in p for p in text_problems(settings, "x", text))


def test_a_partial_override_changes_only_the_platforms_it_lists(make_settings):
    settings = make_settings(extra="""
        [responder.length_limits]
        x = 200
        bluesky = 1000
    """)
    assert reply_limit(settings, "x") == 200
    assert reply_limit(settings, "reddit") == 10_000  # not listed: not dropped
    assert reply_limit(settings, "replay") == 280
    assert reply_limit(settings, "bluesky") == 300  # never above what the network takes
    text = "a" * 250
    assert any("allows" in p for p in text_problems(settings, "x", text))
    assert not text_problems(settings, "reddit", "Thanks, we are on it. " * 200)


def test_an_unknown_platform_gets_the_strictest_registered_limit(make_settings):
    settings = make_settings()
    assert reply_limit(settings, "mastodon") == min(p.reply_limit for p in PLATFORMS.values())
