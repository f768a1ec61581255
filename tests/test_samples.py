"""The Lumora sample mentions: a specification of samples/lumora_mentions.jsonl.

The file feeds the demo (replay source, sandbox servers) and the triage tests, which compare
the classifier's output with the human labels under ``expected``.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
from collections import Counter
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
JSONL = SAMPLES / "lumora_mentions.jsonl"
GENERATOR = SAMPLES / "make_lumora_mentions.py"

KEYS = {
    "offset_s", "platform", "id", "author", "text", "lang", "kind", "in_reply_to_id",
    "conversation_id", "subreddit", "title", "engagement", "expected",
}
AUTHOR_KEYS = {"id", "handle", "name", "followers", "verified"}
ENGAGEMENT_KEYS = {"likes", "reposts", "replies"}
EXPECTED_KEYS = {"category", "topic", "sentiment", "needs_reply"}
CATEGORIES = {
    "complaint", "question", "praise", "spam", "sarcasm", "news", "other", "own", "excluded",
    "repost",
}
TOPICS = {"billing", "delivery", "outage", "account", "defect", "none"}
SENTIMENTS = {"negative", "neutral", "positive"}
KINDS = {"post", "reply", "comment", "repost"}
BRAND_HANDLES = {"lumora", "lumorahelp", "lumora_official"}
ZERO_WIDTH = ("\u200b", "\u200d", "\ufeff")
RTL_OVERRIDE = "\u202e"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with JSONL.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def by_id(rows) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def test_size_and_shape(rows):
    assert len(rows) >= 300
    for r in rows:
        assert set(r) == KEYS, r["id"]
        assert set(r["author"]) == AUTHOR_KEYS, r["id"]
        assert set(r["engagement"]) == ENGAGEMENT_KEYS, r["id"]
        assert set(r["expected"]) == EXPECTED_KEYS, r["id"]
        assert isinstance(r["offset_s"], int | float)
        assert isinstance(r["text"], str) and r["text"], r["id"]
        assert isinstance(r["author"]["followers"], int) and r["author"]["followers"] >= 0
        assert isinstance(r["author"]["verified"], bool)
        assert all(isinstance(v, int) and v >= 0 for v in r["engagement"].values())
        assert r["kind"] in KINDS, r["id"]
        assert r["lang"] and re.fullmatch(r"[a-z]{2}", r["lang"]), r["id"]


def test_every_line_is_one_object():
    lines = JSONL.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert all(line.startswith("{") and line.endswith("}") for line in lines[:-1])


def test_ids_unique_and_ordered(rows):
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"s\d{4}", i) for i in ids)
    offsets = [r["offset_s"] for r in rows]
    assert all(0 <= o <= 600 for o in offsets)
    assert all(a <= b for a, b in itertools.pairwise(offsets))


def test_labels_valid_and_complete(rows):
    cats = Counter(r["expected"]["category"] for r in rows)
    topics = Counter(r["expected"]["topic"] for r in rows)
    assert set(cats) == CATEGORIES
    assert set(topics) == TOPICS
    assert {r["expected"]["sentiment"] for r in rows} == SENTIMENTS
    assert all(isinstance(r["expected"]["needs_reply"], bool) for r in rows)
    # The mix: complaints dominate, every complaint topic is well represented.
    assert cats["complaint"] >= 0.3 * len(rows)
    complaint_topics = Counter(r["expected"]["topic"] for r in rows
                               if r["expected"]["category"] == "complaint")
    for topic in TOPICS - {"none"}:
        assert complaint_topics[topic] >= 8, topic


def test_needs_reply_follows_category(rows):
    for r in rows:
        e = r["expected"]
        if e["category"] in {"complaint", "question"}:
            assert e["needs_reply"], r["id"]
        if e["category"] in {"praise", "spam", "news", "own", "excluded", "repost", "other"}:
            assert not e["needs_reply"], r["id"]


def test_platforms(rows, by_id):
    platforms = Counter(r["platform"] for r in rows)
    assert set(platforms) == {"x", "reddit", "bluesky"}
    assert 0.2 <= platforms["reddit"] / len(rows) <= 0.4
    assert platforms["bluesky"] >= 10
    for r in rows:
        if r["platform"] == "x":
            assert r["subreddit"] == "" and r["title"] == "", r["id"]
            assert r["kind"] in {"post", "reply", "repost"}, r["id"]
        elif r["platform"] == "bluesky":
            assert r["subreddit"] == "" and r["title"] == "", r["id"]
            assert r["kind"] in {"post", "reply"}, r["id"]
            assert r["author"]["handle"].endswith(".bsky.social"), r["id"]
        else:
            assert r["subreddit"], r["id"]
            assert r["kind"] in {"post", "comment"}, r["id"]
            if r["kind"] == "post":
                assert r["title"] and not r["in_reply_to_id"], r["id"]
            else:
                assert r["title"] == "", r["id"]
                assert r["subreddit"] == by_id[r["in_reply_to_id"]]["subreddit"], r["id"]


def test_threads(rows, by_id):
    position = {r["id"]: n for n, r in enumerate(rows)}
    for r in rows:
        parent_id = r["in_reply_to_id"]
        if r["kind"] in {"reply", "comment"}:
            assert parent_id in by_id, r["id"]
            assert position[parent_id] < position[r["id"]], r["id"]
            assert r["conversation_id"] == by_id[parent_id]["conversation_id"], r["id"]
            assert by_id[parent_id]["platform"] == r["platform"], r["id"]
        else:
            assert parent_id == "" and r["conversation_id"] == r["id"], r["id"]
        if r["kind"] == "comment":
            assert by_id[parent_id]["kind"] == "post", r["id"]
    sizes = Counter(r["conversation_id"] for r in rows)
    assert sum(1 for n in sizes.values() if n >= 3) >= 5
    # A customer following up on their own complaint.
    assert any(r["author"]["id"] == by_id[r["conversation_id"]]["author"]["id"]
               for r in rows if r["kind"] == "reply")


def test_authors(rows):
    followers = [r["author"]["followers"] for r in rows]
    assert min(followers) == 0 and max(followers) >= 200_000
    assert sum(r["author"]["verified"] for r in rows) >= 3
    same_id = {}
    for r in rows:
        a = r["author"]
        who = (a["handle"], r["platform"])
        assert same_id.setdefault(a["id"], who) == who, r["id"]


def test_languages(rows):
    langs = Counter(r["lang"] for r in rows)
    assert langs["en"] > len(rows) / 2
    assert sum(n for lang, n in langs.items() if lang != "en") >= 8
    assert {"es", "de", "fr", "pt", "ja", "ar"} <= set(langs)


def test_reposts(rows):
    reposts = [r for r in rows if r["kind"] == "repost"]
    assert len(reposts) >= 6
    for r in reposts:
        assert r["text"].startswith("RT @"), r["id"]
        assert r["expected"]["category"] == "repost", r["id"]
    assert all(r["kind"] == "repost" for r in rows if r["expected"]["category"] == "repost")


def test_own_posts(rows):
    own = [r for r in rows if r["author"]["handle"] in BRAND_HANDLES]
    assert len(own) >= 6
    assert {r["author"]["handle"] for r in own} == BRAND_HANDLES
    assert all(r["expected"]["category"] == "own" for r in own)
    assert all(r["author"]["handle"] in BRAND_HANDLES
               for r in rows if r["expected"]["category"] == "own")


def test_exclusions(rows):
    excluded = [r for r in rows if r["expected"]["category"] == "excluded"]
    assert len(excluded) >= 6
    for r in excluded:
        text = r["title"] + " " + r["text"]
        assert "Lumora Falls" in text or "Lumora Bistro" in text, r["id"]
    assert {"Lumora Falls", "Lumora Bistro"} <= {
        name for r in excluded for name in ("Lumora Falls", "Lumora Bistro") if name in r["text"]
    }


def test_outage_spike(rows):
    outage = [r["offset_s"] for r in rows
              if r["expected"]["topic"] == "outage" and r["expected"]["category"] == "complaint"]
    in_spike = sum(1 for o in outage if 300 <= o < 360)
    assert in_spike >= 25
    per_minute = Counter(int(r["offset_s"] // 60) for r in rows)
    assert per_minute.most_common(1)[0][0] == 5


def test_safety_complaints(rows):
    texts = [r["title"] + " " + r["text"] for r in rows if r["expected"]["topic"] == "defect"]
    assert any(re.search(r"(?i)smoke", t) for t in texts)
    assert any(re.search(r"(?i)melt", t) for t in texts)


def test_hostile_inputs(rows):
    texts = [r["text"] for r in rows]
    assert any("<script>alert(1)</script>" in t for t in texts)
    assert any("<img src=x onerror=alert(1)>" in t for t in texts)
    assert any(len(t) >= 20_000 for t in texts)
    assert all(any(z in t for t in texts) for z in ZERO_WIDTH)
    assert any("L\u200bu\u200bm\u200bo\u200br\u200ba" in t for t in texts)
    assert any(RTL_OVERRIDE in t for t in texts)
    assert any(RTL_OVERRIDE in t and re.search("[\u0600-\u06ff]", t) for t in texts)
    assert any("'); DROP TABLE mentions;--" in t for t in texts)
    assert any("\r\n" in t and "\t" in t for t in texts)
    assert any(re.fullmatch(r"[\U0001F300-\U0001FAFF\u2600-\u27bf\ufe0f\u200d]+", t)
               for t in texts)
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", r["author"]["handle"]) for r in rows)
    assert any(re.search(r"[\U0001F300-\U0001FAFF]", r["author"]["name"]) for r in rows)
    assert not any("\x00" in t for t in texts)


def test_generator_reproduces_file():
    spec = importlib.util.spec_from_file_location("make_lumora_mentions", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    regenerated = "".join(module.dumps(r) + "\n" for r in module.build())
    assert regenerated == JSONL.read_text(encoding="utf-8")
