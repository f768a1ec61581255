"""The outcome labels: customer follow-ups from real care traffic, keys in the repository.

``sentiment/labels/outcomes.tsv`` holds, per hand-labelled customer follow-up (a Twitter
customer-support message written in answer to a brand's reply), its tweet id, its source
(``twcs``), the brand it answers (from the handle it mentions; ``unknown`` when only a
numeric handle is there), the outcome (resolved/open/escalated) and the predicted-
satisfaction label (satisfied/neutral/dissatisfied). docs/outcomes-guide.md says how
each was decided. The texts stay in ``../shared/data/care/twcs``; ``join`` finds them.

``chunks`` orders every follow-up by the SHA-1 of its tweet id (the same on every
machine), so the labelled set is always the first N of that order, and the labeller
reads them in fixed-size chunks with handles masked (``@brand`` / ``@user``): the
label must come from the customer's words, not from which company it is.

    python -m sentiment.outcome_labels chunk 3      # print chunk 3 for labelling
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from sentiment.handles import HANDLE
from sentiment.outcomes import OUTCOMES, SATISFACTION, mask

LABELS_FILE = Path(__file__).resolve().parent / "labels" / "outcomes.tsv"
# The next chunk (chunk 6), labelled after the rules and the head were settled and never
# used to choose anything: a blind check of the shipped decision.
BLIND_FILE = LABELS_FILE.with_name("outcomes_blind.tsv")


def _shared_data() -> Path:
    """``../shared/data`` beside the checkout (a worktree may sit deeper: the nearest
    ancestor that has one wins)."""
    for parent in Path(__file__).resolve().parents[1:]:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return Path(__file__).resolve().parents[2] / "shared" / "data"


TWCS_FILE = _shared_data() / "care" / "twcs" / "twcs_sample.csv"
COLUMNS = ("key", "source", "brand", "outcome", "satisfaction")
CHUNK = 110


@dataclass(frozen=True)
class FollowUp:
    """One customer message written in answer to a brand's reply."""

    key: str  # the tweet id
    brand: str
    text: str  # handles masked
    reply: str  # the brand reply it answers, masked; '' when not in the sample


def brand_of(text: str) -> str:
    """The first named (non-numeric) handle in the text, lower-cased; ``unknown`` if none."""
    names = [h for h in HANDLE.findall(text) if not h.isdigit()]
    return names[0].lower() if names else "unknown"


def follow_ups(path: Path = TWCS_FILE) -> list[FollowUp]:
    """Every inbound tweet written in answer to another tweet, in the fixed labelling order."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {r["tweet_id"]: r for r in rows}
    out = []
    for row in rows:
        parent = row["in_response_to_tweet_id"].split(".")[0]
        if row["inbound"] != "True" or not parent:
            continue
        reply = by_id.get(parent)
        reply_text = mask(reply["text"]) if reply and reply["inbound"] == "False" else ""
        out.append(FollowUp(row["tweet_id"], brand_of(row["text"]), mask(row["text"]),
                            reply_text))
    return sorted(out, key=lambda f: hashlib.sha1(f.key.encode()).hexdigest())


def chunk(number: int, path: Path = TWCS_FILE) -> list[FollowUp]:
    """The ``number``-th (0-based) chunk of ``CHUNK`` follow-ups to label."""
    return follow_ups(path)[number * CHUNK:(number + 1) * CHUNK]


@dataclass(frozen=True)
class Labelled:
    follow_up: FollowUp
    outcome: str
    satisfaction: str


def read_labels(path: Path = LABELS_FILE) -> dict[str, tuple[str, str, str]]:
    """key -> (brand, outcome, satisfaction), checked against the allowed values."""
    out = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["outcome"] not in OUTCOMES or row["satisfaction"] not in SATISFACTION:
                raise ValueError(f"{path}: bad label on {row['key']}: {row}")
            out[row["key"]] = (row["brand"], row["outcome"], row["satisfaction"])
    return out


def join(labels_path: Path = LABELS_FILE, twcs_path: Path = TWCS_FILE) -> list[Labelled]:
    """The labelled follow-ups with their texts, in labelling order."""
    labels = read_labels(labels_path)
    found = [Labelled(f, labels[f.key][1], labels[f.key][2])
             for f in follow_ups(twcs_path) if f.key in labels]
    if len(found) != len(labels):
        raise ValueError(f"{len(labels) - len(found)} labelled keys are not in {twcs_path}")
    return found


def main(argv: list[str]) -> int:
    """``chunk N``: print chunk N as ``key<TAB>brand<TAB>text`` lines for labelling."""
    if len(argv) != 2 or argv[0] != "chunk":
        print("usage: python -m sentiment.outcome_labels chunk N", file=sys.stderr)
        return 2
    for item in chunk(int(argv[1])):
        reply = f"  [REPLY: {item.reply}]" if item.reply else ""
        print(f"{item.key}\t{item.brand}\t{item.text}{reply}".replace("\n", " "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
