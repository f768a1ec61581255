"""Each mention's language is detected and stored; unsure guesses keep the platform's tag."""

from __future__ import annotations

from sentiment.language import detect


def test_common_languages_are_detected():
    assert detect("hola, mi lámpara no funciona y necesito ayuda con el pedido") == "es"
    assert detect("Meine Lampen flackern seit dem letzten Update ständig") == "de"
    assert detect("Lumoraのハブが毎晩オフラインになります。どうすればいいですか") == "ja"
    assert detect("@lumorahelp my order never arrived and nobody answers") == "en"


def test_handles_and_links_do_not_decide_and_short_texts_keep_the_platform_tag():
    assert detect("@lumora @lumorahelp https://x.example/abc", "fr") == "fr"
    assert detect("ok 👍", "") == ""
    assert detect("💡💡💡😍🔥✨", "en") == "en"
