"""`main.py draft`: try the templates, the knowledge base and the policy on your own
samples, and see how agents received the drafts.

    main.py draft FILE|-        one text per line in (or a JSON object with "text" and
                                optionally "lang", "handle", "name", "platform",
                                "brand"), one JSON object per line out: the drafts
                                offered, the article chosen, the policy flags, the
                                language
                                (with [responder.ai] on, the model's draft too, as
                                "kind": "ai", or why it was not offered)
    main.py draft --stats       acceptance per template and option (approved as
                                drafted / edited / rejected), and per kind (template,
                                past, ai), from the database; the AI attempts' outcomes
    main.py draft --reminders   our replies the customer has not answered after
                                responder.reminder_hours
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from config.settings import Settings
from core.clock import Clock, to_iso
from core.errors import ConfigError

if TYPE_CHECKING:
    from sentiment.classifier import Classifier
    from sentiment.embedding import Embedder

TEXT_LIMIT = 20_000  # characters of one input line that are read


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("draft", help="draft replies for texts, one per line; JSON lines out")
    p.add_argument("file", nargs="?", help="a file with one text per line, or - for stdin")
    p.add_argument("--platform", default="x", help="the platform to draft for (default x)")
    p.add_argument("--brand", help="the brand (default: the first configured)")
    p.add_argument("--stats", action="store_true",
                   help="acceptance per template and option, from the database")
    p.add_argument("--reminders", action="store_true",
                   help="replies the customer has not answered after reminder_hours")
    p.set_defaults(func=cmd_draft)


def read_items(lines: list[str], platform: str, brand: str, now: datetime
               ) -> list[dict[str, Any]]:
    """Input lines as mentions created ``now``: a JSON object keeps its fields, anything
    else is text."""
    items = []
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")[:TEXT_LIMIT]
        if not line.strip():
            continue
        item: dict[str, Any] = {}
        if line.lstrip().startswith("{"):
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                item = {}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            item = {"text": line}
        items.append({
            "id": n, "text": item["text"], "lang": str(item.get("lang") or ""),
            "author_handle": str(item.get("handle") or ""),
            "author_name": str(item.get("name") or ""),
            "platform": str(item.get("platform") or platform),
            "brand": str(item.get("brand") or brand),
            "created_at": to_iso(now),
        })
    return items


def cmd_draft(args: argparse.Namespace, settings: Settings) -> int:
    if args.stats or args.reminders:
        return _from_store(args, settings)
    if not args.file:
        print("mentiondesk: draft needs FILE or - (or --stats, --reminders)", file=sys.stderr)
        return 2
    from listener.platforms import PLATFORMS
    from sentiment.transformer import load_models

    brand = args.brand or settings.brands[0].name
    if brand not in {b.name for b in settings.brands}:
        raise ConfigError("--brand", "brand", f"unknown brand {brand!r}")
    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with stream:
        items = read_items(stream.readlines(), args.platform, brand, args.clock.now())
    unknown = {i["platform"] for i in items} - set(PLATFORMS)
    if unknown:
        raise ConfigError("--platform", "platform", f"unknown platform {sorted(unknown)}")
    draft_items(items, settings, *load_models(settings.model), sys.stdout, args.clock)
    return 0


def draft_items(items: list[dict[str, Any]], settings: Settings, classifier: Classifier,
                embedder: Embedder, out: TextIO, clock: Clock) -> None:
    """Triage each item as the daemon does (sentiment.batch: the model's thresholds, the
    brand's words, the role, the language, topics by meaning), then write what drafting
    offers for it (the AI drafter on main's ``clock``)."""
    from pipeline.ai_drafts import AiDrafter
    from pipeline.replies import Replies
    from sentiment.batch import Item, topic_finder_for, triage_items

    batch = [Item(text=i["text"], brand=settings.brand(i["brand"]), platform_lang=i["lang"])
             for i in items]
    triaged = triage_items(batch, classifier, settings, topic_finder_for(settings, embedder))
    replies = Replies(settings, embedder)
    drafter = AiDrafter(settings, replies, clock) if settings.responder.ai.enabled \
        else None
    for item, (prediction, t) in zip(items, triaged, strict=True):
        mention = {**item, "label": prediction.label, "topic": t.topic, "reason": t.reason,
                   "complaint": t.complaint, "rules": t.rules, "language": t.language,
                   "spam": t.spam}
        offer = replies.offer(mention)
        shown = offer.as_json()
        if drafter is not None and not offer.held and drafter.for_brand(item["brand"]):
            written = drafter.write(drafter.context(mention, article=offer.article,
                                                    thread=[], examples=[]))
            if written.ok:
                shown["drafts"] = [shown["drafts"][0],
                                   {"kind": "ai", "text": written.text, "model": written.model},
                                   *shown["drafts"][1:]]
            else:
                shown["ai_not_offered"] = written.reason
        out.write(json.dumps({"text": item["text"], "label": prediction.label,
                              "topic": t.topic, "needs_reply": t.needs_reply,
                              "reason": t.reason, **shown},
                             ensure_ascii=False) + "\n")


def _from_store(args: argparse.Namespace, settings: Settings) -> int:
    from responder.acceptance import OUTCOMES, by_kind, table
    from store import ai_drafts, drafts, reminders
    from store.schema import open_store

    store = open_store(settings.app.database)
    if args.stats:
        decided = drafts.outcomes(store)
        lines = table(decided)
        print(f"{'offered':<40} " + " ".join(f"{o:>9}" for o in OUTCOMES)
              + f" {'total':>6} {'unedited':>9}")
        for line in lines:
            print(f"{line['offered']:<40} " + " ".join(f"{line[o]:>9}" for o in OUTCOMES)
                  + f" {line['total']:>6} {line['unedited_share']:>9.0%}")
        if not lines:
            print("no decided drafts yet")
        columns = (*OUTCOMES, "passed_over")
        print(f"\n{'kind':<10} {'offered':>8} " + " ".join(f"{c:>11}" for c in columns)
              + f" {'unedited':>9}")
        for line in by_kind(decided):
            print(f"{line['kind']:<10} {line['offered']:>8} "
                  + " ".join(f"{line[c]:>11}" for c in columns)
                  + f" {line['unedited_share']:>9.0%}")
        ai = ai_drafts.summary(store)
        if ai["by_status"]:
            print("\nai drafts: " + ", ".join(f"{k} {v}" for k, v in ai["by_status"].items()))
            for reason, n in ai["reasons"].items():
                print(f"  {n:>5}  {reason}")
    if args.reminders:
        hours = settings.responder.reminder_hours
        if not hours:
            print("reminders are off (responder.reminder_hours = 0)")
            return 0
        before = args.clock.now() - timedelta(hours=hours)
        for row in reminders.unanswered(store, before):
            print(json.dumps({"mention_id": row["mention_id"], "handle": row["handle"],
                              "posted_at": row["posted_at"], "reply": row["reply"],
                              "url": row["posted_url"] or row["url"]}, ensure_ascii=False))
    return 0
