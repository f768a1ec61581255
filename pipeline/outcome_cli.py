"""`main.py outcome FILE|-`: decide outcomes and predicted satisfaction for exchanges.

One JSON object per input line, ``{"reply": our reply, "customer": their next message}``
with an optional ``"first"`` (their first message, for the net sentiment change); one
JSON object per output line, in order: ``outcome`` (resolved / open / escalated),
``satisfaction`` (predicted: satisfied / neutral / dissatisfied), ``satisfaction_score``
(predicted rating 1-5), ``scores`` (the head's outcome probabilities),
``satisfaction_scores``, ``sentiment_change`` (null without ``first``), ``reason``,
``words`` (the rule words that decided), ``rules`` and ``model_version``. A line that
is not such an object gives ``{"error": ...}`` in its place, so output lines always
match input lines. ``no_answer`` never comes out here: it is silence, which the daemon
decides from time (docs/outcomes-guide.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from config.settings import Settings

TEXT_LIMIT = 20_000  # characters of one field that are read
BATCH = 256


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outcome", help="outcome and predicted satisfaction of exchanges "
                       "(JSON lines in and out)")
    p.add_argument("file", help='a file of {"reply", "customer", "first"} JSON lines, or -')
    p.set_defaults(func=cmd_outcome)


def parse_line(line: str) -> dict[str, str] | str:
    """The exchange on one line, or why it is not one."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc.msg}"
    if not isinstance(item, dict):
        return "not a JSON object"
    fields = {}
    for name in ("reply", "customer", "first"):
        value = item.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            return f"{name!r} must be a string"
        fields[name] = value[:TEXT_LIMIT]
    if not fields["customer"].strip():
        return "'customer' is missing or empty"
    return fields


def cmd_outcome(args: argparse.Namespace, settings: Settings) -> int:
    from sentiment.embedding import Embedder
    from sentiment.outcomes import Exchange, OutcomeDecider

    stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    with stream:
        lines = [line.rstrip("\n") for line in stream if line.strip()]
    decider = OutcomeDecider.load(Embedder.load())
    parsed = [parse_line(line) for line in lines]
    for start in range(0, len(parsed), BATCH):
        chunk = parsed[start:start + BATCH]
        good = [Exchange(**p) for p in chunk if isinstance(p, dict)]
        decided = iter(decider.decide(good))
        for item in chunk:
            out: dict[str, Any]
            if isinstance(item, str):
                out = {"error": item}
            else:
                out = {**next(decided).as_json(), "model_version": decider.version}
            print(json.dumps(out, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    return 0
