"""The triage labels: keys and yes/no answers in the repository, texts joined at training.

``sentiment/labels/labels.tsv`` holds, per hand-labelled tweet, the first 16 hex
digits of the SHA-1 of its exact text, its source (``airline`` or ``tweeteval``) and
four 0/1 answers (needs_reply, complaint, spam, sarcasm; docs/triage-guide.md says
how they were decided). The tweets themselves stay in ``../shared/data``: ``join``
finds each key's text there (and its tone label). The demo sample's mentions carry
their own expected answers and are added as a third source, and
``sentiment/labels/written.tsv`` holds a few dozen examples we wrote ourselves (texts
included: spam and promotion, which real airline tweets rarely show, requests without
a question mark, sarcastic complaints); they always train.

Splits are fixed by the key, the same on every machine: keys starting with ``e`` or
``f`` are the held-out test set (nothing is tuned on them), ``c`` or ``d`` the
validation set (thresholds and checkpoints), everything else trains.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sentiment.classifier import HEADS, LABELS
from sentiment.evaluate import DataError

LABELS_DIR = Path(__file__).resolve().parent / "labels"
LABELS_FILE = LABELS_DIR / "labels.tsv"
WRITTEN_FILE = LABELS_DIR / "written.tsv"  # our own short examples, texts included
TOPICS_FILE = LABELS_DIR / "topics.tsv"  # Lumora-style mentions with their topic
SAMPLE_FILE = Path(__file__).resolve().parents[1] / "samples" / "lumora_mentions.jsonl"
CARE_FILE = LABELS_DIR / "care_labels.tsv"  # hand labels on ../shared/data/care, texts included
CARE_COLUMNS = ("source", "brand", "id", "text", "needs_reply", "complaint", "spam", "sarcasm",
                "tone", "topic", "unsure")
TOPIC_NAMES = ("account", "billing", "defect", "delivery", "general", "outage")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
Split = Literal["train", "val", "test"]
COLUMNS = ("key", "source", "nr", "cp", "sp", "sc")  # nr cp sp sc in HEADS order


def text_key(text: str) -> str:
    """The label key of a tweet: 16 hex digits of the SHA-1 of its exact UTF-8 text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def escape_field(text: str) -> str:
    """A text as one TSV field: backslash, tab, CR and newline are written as a backslash
    followed by a backslash, t, r or n, so a multi-line tweet stays on one line and reads
    back exactly (the care labels keep their texts in the file)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def unescape_field(field: str) -> str:
    """The inverse of ``escape_field``; a lone trailing backslash is kept as it is."""
    return re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r"}.get(
        m.group(1), m.group(1)), field)


def split_of(key: str) -> Split:
    first = key[:1].lower()
    if first in "ef":
        return "test"
    if first in "cd":
        return "val"
    return "train"


@dataclass(frozen=True)
class Example:
    key: str
    source: str  # airline, tweeteval, sample, written, or a care data set (twcs, ...)
    text: str
    answers: dict[str, int]  # HEADS -> 0/1
    tone: str | None  # negative/neutral/positive when the source has one
    brand: str = ""  # care labels: the addressed brand (TWCS) or the brand talked about
    topic: str = ""  # care labels: one of TOPIC_NAMES where it was obvious, else ""
    unsure: bool = False  # care labels: the labeller hesitated
    id: str = ""  # care labels: the row's id in its data set (with source, its key there)

    @property
    def split(self) -> Split:
        return "train" if self.source == "written" else split_of(self.key)


def read_labels(path: Path = LABELS_FILE) -> dict[str, tuple[str, dict[str, int]]]:
    """key -> (source, answers) from a labels file; a bad line is one DataError."""
    labels: dict[str, tuple[str, dict[str, int]]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("key\t"):
            continue
        parts = line.split("\t")
        if len(parts) != len(COLUMNS) or any(p not in ("0", "1") for p in parts[2:]):
            raise DataError(f"{path}:{number}: expected key, source and four 0/1 answers")
        labels[parts[0]] = (parts[1], dict(zip(HEADS, map(int, parts[2:]), strict=True)))
    return labels


def write_labels(rows: list[tuple[str, str, dict[str, int]]], path: Path = LABELS_FILE) -> None:
    """Write (key, source, answers) rows sorted by key: stable diffs."""
    out = ["\t".join(COLUMNS)]
    for key, source, answers in sorted(rows):
        out.append("\t".join([key, source, *(str(answers[h]) for h in HEADS)]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _shared_texts(data_dir: Path) -> dict[str, tuple[str, str, str]]:
    """key -> (source, text, tone) for every tweet in the shared training data."""
    found: dict[str, tuple[str, str, str]] = {}
    airline = data_dir / "airline-sentiment" / "train.csv"
    with open(airline, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found[text_key(row["text"])] = ("airline", row["text"], row["sentiment"].strip())
    folder = data_dir / "tweeteval-sentiment"
    texts = (folder / "train_text.txt").read_text(encoding="utf-8").rstrip("\n").split("\n")
    tones = (folder / "train_labels.txt").read_text(encoding="utf-8").split()
    for text, tone in zip(texts, tones, strict=True):
        found.setdefault(text_key(text), ("tweeteval", text, LABELS[int(tone)]))
    return found


def sample_examples(path: Path = SAMPLE_FILE) -> list[Example]:
    """The demo sample's mentions with their expected answers (our own posts left out)."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        expected = item.get("expected") or {}
        category = expected.get("category", "")
        if not expected or category == "own":
            continue
        needs = int(bool(expected.get("needs_reply")))
        answers = {
            "needs_reply": needs,
            "complaint": int(category == "complaint" or (category == "sarcasm" and needs == 1)),
            "spam": int(category == "spam"),
            "sarcasm": int(category == "sarcasm"),
        }
        tone = expected.get("sentiment")
        examples.append(Example(text_key(item["text"]), "sample", item["text"], answers,
                                tone if tone in LABELS else None))
    return examples


def written_examples(path: Path = WRITTEN_FILE) -> list[Example]:
    """Our own examples: ``nr cp sp sc text`` per line after a header."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number == 1 or not line.strip():
            continue
        parts = line.split("\t", 4)
        if len(parts) != 5 or any(p not in ("0", "1") for p in parts[:4]):
            raise DataError(f"{path}:{number}: expected four 0/1 answers and a text")
        answers = dict(zip(HEADS, map(int, parts[:4]), strict=True))
        examples.append(Example(text_key(parts[4]), "written", parts[4], answers, None))
    return examples


def care_examples(path: Path = CARE_FILE) -> list[Example]:
    """The hand labels on ``../shared/data/care`` (texts included, @handles masked).

    Columns are ``CARE_COLUMNS``; texts are escaped with ``escape_field``. Each example's
    source is the data set it came from (twcs, banking77, sanders, isarcasm, ...) and, for
    TWCS, ``brand`` is the care account it was addressed to, so callers can hold out
    whole sources or brands (docs/triage-guide.md). A bad line is one DataError naming it.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("source\t"):
            continue
        parts = line.split("\t")
        if len(parts) != len(CARE_COLUMNS):
            raise DataError(f"{path}:{number}: expected {len(CARE_COLUMNS)} tab-separated "
                            f"columns, found {len(parts)}")
        source, brand, row_id, text, *flags, tone, topic, unsure = parts
        if any(f not in ("0", "1") for f in (*flags, unsure)) or tone not in LABELS \
                or topic not in ("", *TOPIC_NAMES):
            raise DataError(f"{path}:{number}: expected 0/1 answers, a tone in {LABELS} "
                            f"and a topic in {TOPIC_NAMES} or empty")
        text = unescape_field(text)
        answers = dict(zip(HEADS, map(int, flags), strict=True))
        examples.append(Example(text_key(text), source, text, answers, tone, brand, topic,
                                unsure == "1", row_id))
    return examples


def join(data_dir: Path, labels_path: Path = LABELS_FILE, *, sample: bool = True
         ) -> list[Example]:
    """Every labelled example with its text, from ``data_dir`` (laid out like
    ../shared/data) and, with ``sample``, the demo sample and our written examples.
    A key whose tweet is not in the data is a DataError: the labels and the data must
    be the same versions."""
    labels = read_labels(labels_path)
    try:
        texts = _shared_texts(Path(data_dir))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"cannot read the training data in {data_dir}: {exc}") from exc
    missing = [k for k in labels if k not in texts]
    if missing:
        raise DataError(f"{len(missing)} labelled keys (e.g. {missing[0]}) are not in "
                        f"{data_dir}; is it the same data the labels were written for?")
    examples = [Example(key, source, texts[key][1], answers, texts[key][2])
                for key, (source, answers) in sorted(labels.items())]
    if sample:
        examples += sample_examples() + written_examples()
    return examples
