"""AI drafts on the demo sample against the sandbox model server (over HTTP, 127.0.0.1).

Replays samples/lumora_mentions.jsonl through the real pipeline (model, encoder,
knowledge base, templates) into a temporary database with a manual clock, then runs the
``ai_drafts`` job against ``sandbox/model_api.py`` in ``mixed`` mode (mostly grounded
replies; now and then one asking for a password, one far too long, one with a foreign
link, an echo of the customer, bad JSON, a 500 or a 429), advancing the clock through
its back-offs until nothing is due. Prints:

- the share of needs-reply mentions that got an AI draft offered;
- the share of AI answers refused (or failed), by reason;
- the latency per draft (the job's HTTP round-trip to the local sandbox: it measures the
  desk's own overhead, not a real model's speed);
- unsafe AI drafts offered, re-checked independently of the job: must be 0.

    HF_HUB_OFFLINE=1 python bench/bench_ai_drafts.py [--mode mixed]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.demo_desk import replayed_demo  # noqa: E402
from listener.platforms import PLATFORMS, reply_limit  # noqa: E402
from pipeline.actions import our_links, text_problems  # noqa: E402
from pipeline.ai_drafts import AiDrafter  # noqa: E402
from responder.policy import MachineCheck  # noqa: E402
from sandbox.model_api import ModelSandbox  # noqa: E402
from store import ai_drafts  # noqa: E402

# The bench's own idea of unsafe, written apart from responder/policy.py.
ASKS_SECRET = re.compile(r"\b(password|passcode|card number|cvv|pin|order number)\b", re.I)
LINK = re.compile(r"https?://\S+")


def unsafe(text: str, platform: str, limit: int, links: set[str], customer: str) -> str:
    """Why an offered text is unsafe by the bench's independent checks ("" when fine)."""
    if not text.strip():
        return "empty"
    if PLATFORMS[platform].reply_length(text) > limit:
        return "too long"
    if ASKS_SECRET.search(text) and not re.search(r"\bDM\b|direct message|never share",
                                                   text, re.I):
        return "asks for a secret"
    if any(link.rstrip(".,!?").rstrip("/") not in links for link in LINK.findall(text)):
        return "foreign link"
    if len(customer.split()) >= 6 and customer.strip() in text:
        return "echoes the customer"
    return ""


def reason_kind(reason: str) -> str:
    """A refusal's reason without its particulars ("asks for password and …")."""
    for key in ("asks for", "promises", "characters and", "not in the knowledge base",
                "repeats the prompt", "repeats the customer", "empty", "malformed",
                "server error", "rate limited", "no answer", "no whole answer", "refused ("):
        if key in reason:
            return key
    return reason


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="mixed", help="the sandbox model's mode")
    args = parser.parse_args()
    sandbox = ModelSandbox(args.mode, retry_after=60)
    sandbox.start()
    pipeline, clock, _tmp = replayed_demo(ROOT / "config" / "demo.toml", "bench-ai-", {
        "MENTIONDESK_RESPONDER_AI_ENABLED": "true",
        "MENTIONDESK_RESPONDER_AI_BASE_URL": f"{sandbox.url}/v1",
        "MENTIONDESK_RESPONDER_AI_MODEL": "sandbox", "MENTIONDESK_RESPONDER_AI_BATCH_SIZE": "64"})
    settings, store = pipeline.settings, pipeline.store

    drafter = AiDrafter(settings, pipeline.replies, clock)
    started, runs = time.perf_counter(), 0
    while runs < 1000:
        runs += 1
        if drafter.run_batch(store):
            continue
        if not ai_drafts.due(store, clock.now() + timedelta(days=1),
                             clock.now() - timedelta(days=7), 1):
            break
        # Paused after a 500 or 429: the injected clock jumps to the end of the back-off.
        pause = (drafter.paused_until or clock.now()) - clock.now()
        clock.advance(max(1.0, pause.total_seconds()))
    wall = time.perf_counter() - started

    needing = store.query("SELECT m.id, d.id AS draft_id, d.options, m.text, m.platform"
                          " FROM mentions m JOIN triage t ON t.mention_id = m.id"
                          " LEFT JOIN drafts d ON d.mention_id = m.id"
                          " WHERE t.needs_reply = 1 AND t.optional = 0")
    links = {link.rstrip("/") for link in our_links(settings)}
    offered, unsafe_offered, rechecked = 0, Counter(), 0
    for row in needing:
        for option in json.loads(row["options"] or "[]"):
            if option["kind"] != "ai":
                continue
            offered += 1
            limit = reply_limit(settings, row["platform"])
            why = unsafe(option["text"], row["platform"], limit, links, row["text"])
            again = text_problems(settings, row["platform"], option["text"], "Lumora",
                                  MachineCheck(our_links(settings), untrusted=[row["text"]]))
            rechecked += 1
            if why or again:
                unsafe_offered[why or again[0]] += 1
    summary = ai_drafts.summary(store)
    tried = sum(summary["by_status"].values())
    drafted = sum(r["draft_id"] is not None for r in needing)
    print(f"needs-reply mentions: {len(needing)} ({drafted} with a template draft; the "
          f"rest held: spam, scams, second replies)")
    print(f"AI draft offered: {offered}/{len(needing)} = {offered / len(needing):.1%} of "
          f"needs-reply mentions ({offered / max(drafted, 1):.1%} of drafted ones)")
    print(f"AI attempts decided: {tried} " + str(summary["by_status"]))
    sandbox_calls = len(sandbox.requests)
    print(f"model calls: {sandbox_calls} (retries after 500/429 included), job runs {runs}")
    refused = Counter()
    for reason, n in summary["reasons"].items():
        refused[reason_kind(reason)] += n
    not_offered = tried - summary["by_status"].get("offered", 0)
    print(f"not offered: {not_offered}/{tried} = {not_offered / max(tried, 1):.1%}, by reason:")
    for kind, n in refused.most_common():
        print(f"  {n:>4}  {n / max(tried, 1):6.1%}  {kind}")
    latencies = summary["latencies_ms"]
    if latencies:
        q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
        print(f"latency per answered draft (ms, local sandbox): median "
              f"{statistics.median(latencies):.0f}, p95 {q[18]:.0f}, max {max(latencies)}; "
              f"job wall time {wall:.1f} s for {tried} drafts "
              f"({1000 * wall / max(tried, 1):.0f} ms/draft incl. prompt building)")
    print(f"unsafe AI drafts offered: {sum(unsafe_offered.values())} of {rechecked} re-checked"
          + (f" {dict(unsafe_offered)}" if unsafe_offered else ""))
    drafter.model.close()
    sandbox.stop()
    return 1 if unsafe_offered else 0


if __name__ == "__main__":
    raise SystemExit(main())
