"""Building the X search query from brand settings, and the sandbox reading it as X would."""

from __future__ import annotations

import pytest

from config.settings import BrandSettings
from core.errors import ConfigError
from listener.x.query import build_query
from sandbox.x_api import QueryError, XSandbox, compile_query
from tests.support.x import BRAND


def test_query_from_brand_terms():
    assert build_query(BRAND) == (
        '(@lumora OR @lumorahelp OR Lumora OR "lumora lamp") -"Lumora Falls" '
        "-is:retweet lang:en"
    )
    brand = BrandSettings(name="Acme", handles=["@acme"], keywords=["#acmefail", 'say "hi"'],
                          languages=["en", "DE"])
    assert build_query(brand, languages=["fr"]) == (
        '(@acme OR #acmefail OR "say hi") -is:retweet lang:fr')
    assert build_query(brand) == '(@acme OR #acmefail OR "say hi") -is:retweet (lang:en OR lang:de)'
    assert build_query(brand, override="  @acme -is:retweet ") == "@acme -is:retweet"


def test_query_length_error_names_the_setting():
    brand = BrandSettings(name="Big", keywords=[f"product line {i}" for i in range(40)])
    with pytest.raises(ConfigError) as caught:
        build_query(brand, max_length=512, key="sources.2.query")
    assert caught.value.key == "sources.2.query"
    assert "512" in caught.value.problem and "characters" in caught.value.problem
    assert len(build_query(brand, max_length=4096)) > 512  # Enterprise length


def test_sandbox_reads_the_built_query_like_x():
    sb = XSandbox(brand_handle="lumora")
    pred = compile_query(build_query(BRAND))

    def hit(text: str, **kw) -> bool:
        tid = sb.add_tweet(text, "ann", **kw)
        return pred(sb.tweets[int(tid)], sb)

    assert hit("@lumora help") and hit("my LUMORA lamp broke") and hit("the lumora lamp!")
    assert not hit("visiting Lumora Falls, @lumora") and not hit("@lumora hola", lang="es")
    assert not hit("RT @x: @lumora help", kind="repost", in_reply_to=1)
    assert not hit("lumoralamp") and not hit("#lumora")
    with pytest.raises(QueryError):
        compile_query("(@lumora OR")
    with pytest.raises(QueryError):
        compile_query("@lumora has:links")
