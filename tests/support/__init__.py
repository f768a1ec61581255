"""Helpers shared by the tests (test modules import these, never each other):
the repository, the base config, replay lines, a stand-in classifier."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLE = REPO / "samples" / "lumora_mentions.jsonl"

BASE_TOML = """
[app]
database = "{tmp}/desk.db"
data_dir = "{tmp}/data"

[[brands]]
name = "Lumora"
handles = ["lumora", "lumorahelp"]
keywords = ["Lumora"]
exclusions = ["Lumora Falls", "Lumora Bistro"]
signoff = "^Mia"

[[sources]]
platform = "replay"
name = "replay"
brand = "Lumora"
path = "{mentions}"
interval_seconds = 1

[[topics]]
name = "delivery"
keywords = ["order", "parcel", "delivery"]
kb_link = "https://help.lumora.example/orders"

[[topics]]
name = "billing"
keywords = ["charged", "refund"]
"""


def mention_line(id: str, text: str, offset: float = 0, **extra) -> dict:
    """One replay line in the sample format."""
    author = extra.pop("author", {"id": f"u{id}", "handle": f"user{id}", "name": "",
                                  "followers": 10, "verified": False})
    return {"offset_s": offset, "platform": "x", "id": id, "author": author, "text": text,
            "lang": "en", "kind": "post", "in_reply_to_id": "", "conversation_id": id,
            **extra}


def write_jsonl(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                    encoding="utf-8")
    return path


class Grumpy:
    """A stand-in classifier for tests about a platform, not the model: all negative."""

    name, version = "grumpy", "1"

    def classify(self, texts: list[str]) -> list:
        from sentiment.classifier import Prediction

        return [Prediction("negative", {"negative": 0.9, "neutral": 0.05, "positive": 0.05})
                for _ in texts]


def mentions_by_status(store: Any) -> dict[str, int]:
    """How many mentions sit in each status (for assertions; the product has no use)."""
    rows = store.query("SELECT status, count(*) AS n FROM mentions GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


def write_airline_csv(data_dir: Path, rows: list[dict[str, str]]) -> Path:
    """``airline-sentiment/train.csv`` under ``data_dir`` as ../shared/data lays it out
    (columns text, sentiment), for training code that reads the real layout."""
    folder = data_dir / "airline-sentiment"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "train.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["text", "sentiment"])
        writer.writeheader()
        writer.writerows(rows)
    return folder / "train.csv"
