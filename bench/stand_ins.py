"""The issue-17 checks' stand-ins, read through any checkout's own ``main.py triage
--addressed`` (docs/model.md, *How our stand-ins read the issue's checks*).

The issue measured the first and second waves on data held back from us. Reading those
checkouts here, on our stand-ins, shows how far each stand-in sits from its check, so a
figure measured on a stand-in today can be read as the check would read it:

- **care requests**: the raw texts of the TWCS answered first contacts that our care
  labels say need a reply (1,199), share flagged needs_reply; and of all 1,383; the
  complaint flag's macro-F1 on all 1,383 (the labels' complaint). Fair
  only for a checkout that never trained on TWCS (the first two waves'): today's
  heads did, and their held-out figure comes from ``bench/praise_and_handles.py``
  (each fold of brands read by heads fitted without it).
- **airline praise**: the airline held-out share's positive tweets (crowd labels), share
  flagged; and of those the checkout's hand labels do not hold (its heads' only airline
  rows).
- **tone**: macro recall on the airline held-out share and TweetEval val.

    git worktree add /tmp/wave1 abac6a0    # the first wave (keyword rules, tone model)
    git worktree add /tmp/wave2 0507e86    # the second wave, as the issue measured it
    python bench/stand_ins.py --data ../shared/data --repo /tmp/wave1 --repo /tmp/wave2

Each checkout reads each text alone with its own settings, run by this interpreter;
about a minute per checkout. The first two waves serve through torch and transformers:
reading them needs the training requirements (``requirements-train.txt``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment.classifier import LABELS
from sentiment.labels import CARE_FILE, care_examples, join
from sentiment.train_data import bare, tone_heldout
from sentiment.train_tone import macro_recall
from sentiment.train_wide import macro_f1


def read_through(repo: Path, texts: list[str]) -> list[dict[str, object]]:
    """``main.py triage --addressed`` of ``repo`` on ``texts``, one JSON row per text."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8",
                                     delete=False) as handle:  # fmt: skip
        handle.write("\n".join(t.replace("\n", " ") for t in texts) + "\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    try:
        out = subprocess.run([sys.executable, "main.py", "triage", "--addressed", handle.name],
                             cwd=repo, capture_output=True, text=True, env=env, check=True)
    finally:
        os.unlink(handle.name)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if len(rows) != len(texts):
        raise SystemExit(f"{repo}: {len(rows)} rows for {len(texts)} texts")
    return rows


def care_requests(data_dir: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Raw texts of the labelled TWCS answered first contacts, their needs_reply and
    complaint labels."""
    with open(data_dir / "care" / "twcs" / "twcs_sample.csv", encoding="utf-8") as handle:
        raw = {r["tweet_id"]: r for r in csv.DictReader(handle)}
    first = [e for e in care_examples(CARE_FILE) if e.source == "twcs" and e.id in raw
             and raw[e.id]["inbound"] == "True" and raw[e.id]["response_tweet_id"]
             and not raw[e.id]["in_response_to_tweet_id"]]  # fmt: skip
    return ([raw[e.id]["text"] for e in first],
            np.array([e.answers["needs_reply"] for e in first]),
            np.array([e.answers["complaint"] for e in first]))


def hand_labelled(repo: Path, data_dir: Path) -> set[str]:
    """Airline texts ``repo``'s hand labels hold (its heads' only airline rows since the
    second wave; the first had neither), compared without handles."""
    labels = repo / "sentiment" / "labels" / "labels.tsv"
    if not labels.is_file():
        return set()
    return {bare(e.text) for e in join(data_dir, labels, sample=False)
            if e.source == "airline"}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repo", type=Path, action="append", required=True,
                        help="a checkout whose main.py triage reads the texts (repeatable)")
    args = parser.parse_args()
    texts, needs, complaints = care_requests(args.data)
    airline, tweeteval = tone_heldout(args.data)
    positive = [t for t, label in zip(airline.texts, airline.labels, strict=True)
                if label == "positive"]  # fmt: skip
    for repo in args.repo:
        care = read_through(repo, texts)
        flagged = np.array([bool(r["needs_reply"]) for r in care])
        complaint = np.array([int(bool(r["complaint"])) for r in care])
        print(f"{repo}:")
        print(f"  care requests flagged {flagged[needs == 1].mean():.3f} "
              f"({int((needs == 1).sum())}); all answered first contacts "
              f"{flagged.mean():.3f} ({len(texts)}); complaint macro-F1 "
              f"{macro_f1(complaints, complaint):.3f}")
        praise = np.array([bool(r["needs_reply"]) for r in read_through(repo, positive)])
        seen = hand_labelled(repo, args.data)
        fresh = np.array([bare(t) not in seen for t in positive])
        print(f"  airline positives flagged {praise.mean():.3f} ({len(positive)}); "
              f"never hand-labelled there {praise[fresh].mean():.3f} ({int(fresh.sum())})")
        for part in (airline, tweeteval):
            said = [LABELS.index(str(r["label"])) for r in read_through(repo, part.texts)]
            gold = [LABELS.index(label) for label in part.labels]
            print(f"  tone macro recall, {part.name}: "
                  f"{macro_recall(np.array(gold), np.array(said)):.4f}")


if __name__ == "__main__":
    main()
