"""The drafts the demo produces, for a person to read and judge.

Replays samples/lumora_mentions.jsonl through the real pipeline (model, encoder,
knowledge base, templates) into a temporary database with a manual clock, then prints
every drafted mention: the sample's own label, the post, the first draft, the article,
the notes; and held mentions with their flags. Then the topic figures against the
sample's hand label (``expected.topic``, "none" read as general): drafted mentions whose
triage topic differs, and drafts from a topic's own template ("billing.negative") whose
topic is not what the mention is about (the draft names the wrong problem), each listed.
Ends with the checks that must be zero: drafts over their platform's limit and drafts
the policy would refuse.

    HF_HUB_OFFLINE=1 python bench/demo_drafts.py [--config config/demo.toml] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.demo_desk import replayed_demo  # noqa: E402
from listener.platforms import PLATFORMS, reply_limit  # noqa: E402
from pipeline.actions import text_problems  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "demo.toml")
    parser.add_argument("--json", type=Path, help="also write one JSON object per draft")
    args = parser.parse_args()
    pipeline, _clock, _tmp = replayed_demo(args.config, "demo-drafts-")
    settings, store = pipeline.settings, pipeline.store

    expected = {}
    for line in (ROOT / "samples" / "lumora_mentions.jsonl").read_text().splitlines():
        item = json.loads(line)
        expected[item["id"]] = item["expected"]
    rows = store.query(
        "SELECT m.id, m.platform_id, m.platform, m.brand, m.text, m.lang, m.flags,"
        " a.handle, a.name, t.label, t.topic, t.reason, d.text AS draft, d.template,"
        " d.notes, d.options, d.article_url, d.lang AS draft_lang"
        " FROM mentions m JOIN authors a ON a.id = m.author_id"
        " JOIN triage t ON t.mention_id = m.id LEFT JOIN drafts d ON d.mention_id = m.id"
        " WHERE d.id IS NOT NULL OR m.flags != '[]' ORDER BY m.platform_id")
    over = refused = 0
    out = args.json.open("w", encoding="utf-8") if args.json else None
    for r in rows:
        truth = expected.get(r["platform_id"], {})
        print(f"\n{r['platform_id']} [{truth.get('category')}/{truth.get('topic')}"
              f"{' needs reply' if truth.get('needs_reply') else ''}] {r['platform']} "
              f"@{r['handle']} ({r['name']}) · {r['label']} · {r['topic']} · {r['lang']}")
        print(f"  > {r['text'][:300]}")
        for flag in json.loads(r["flags"]):
            print(f"  FLAG {flag['kind']}: {flag['message']}")
        if r["draft"] is None:
            continue
        limit = reply_limit(settings, r["platform"])
        length = PLATFORMS[r["platform"]].reply_length(r["draft"])
        problems = text_problems(settings, r["platform"], r["draft"], r["brand"])
        over += length > limit
        refused += bool(problems)
        print(f"  draft [{r['template']}, {r['draft_lang']}, {length}/{limit}]: {r['draft']}")
        if r["article_url"]:
            print(f"  article: {r['article_url']}")
        for note in json.loads(r["notes"]):
            print(f"  note: {note}")
        for option in json.loads(r["options"]):
            print(f"  option ({option['kind']}): {option['text']}")
        if problems:
            print(f"  POLICY: {problems}")
        if out:
            out.write(json.dumps({**r, "expected": truth}, ensure_ascii=False) + "\n")
    topic_figures([r for r in rows if r["draft"] is not None], expected,
                  {t.name for t in settings.topics})
    drafted = sum(r["draft"] is not None for r in rows)
    print(f"\n{drafted} drafts, {len(rows) - drafted} held with flags; "
          f"{over} over the length limit; {refused} the policy would refuse")
    return 0 if over == refused == 0 else 1


def template_topic(template: str, topics: set[str]) -> str:
    """The topic a template key names ("es:billing.negative+question@x#1" -> billing), or
    general for the tone's own keys ("negative#0", "question#2")."""
    base = template.split("#")[0].split(":")[-1].split("@")[0].split("+")[0]
    topic = base.split(".")[0]
    return topic if topic in topics else "general"


def topic_figures(drafted: list[dict], expected: dict[str, dict], topics: set[str]) -> None:
    """Print the drafted mentions whose triage topic or whose template's topic differs
    from the hand label, and the counts."""
    def truth(r: dict) -> str:
        topic = expected.get(r["platform_id"], {}).get("topic", "none")
        return "general" if topic == "none" else topic

    tagged = [r for r in drafted if r["topic"] != truth(r)]
    named = [(r, template_topic(r["template"], topics)) for r in drafted]
    wrong = [(r, t) for r, t in named if t != "general" and t != truth(r)]
    general = sum(t == "general" for _, t in named)
    print(f"\nTopic differs from the hand label ({len(tagged)} of {len(drafted)}):")
    for r in tagged:
        print(f"  {r['platform_id']} label {truth(r)}, triage {r['topic']}: {r['text'][:70]!r}")
    print(f"Template names another topic than the hand label ({len(wrong)} of "
          f"{len(drafted)}):")
    for r, t in wrong:
        print(f"  {r['platform_id']} label {truth(r)}, template {r['template']} ({t}): "
              f"{r['text'][:60]!r}")
    right = len(drafted) - general - len(wrong)
    print(f"topic figures: {len(tagged)} triage topics differ from the hand label; templates "
          f"of a topic: {right} the labelled one, {len(wrong)} another; {general} general")


if __name__ == "__main__":
    raise SystemExit(main())
