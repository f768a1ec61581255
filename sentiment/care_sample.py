"""Draw the texts for the care labels (issue 17) and fold the hand labels back in.

The labels in ``sentiment/labels/care_labels.tsv`` were written by a person reading each
text; this module only decides *which* texts were read, in a fixed (seeded) order, and
masks @handles so a brand's name can never be a shortcut for the model. It is a tool for
labellers, not part of triage: nothing in the pipeline imports it.

Usage::

    python -m sentiment.care_sample draw ../shared/data CHUNK_DIR   # chunk_NN.tsv files
    python -m sentiment.care_sample merge CHUNK_DIR                  # -> care_labels.tsv
    python -m sentiment.care_sample stats                            # counts and shares

A labeller writes ``labels_NN.txt`` next to each ``chunk_NN.tsv``: one line per row,
``idx nr cp sp sc tone topic [u]`` with tone ``n``/``0``/``p`` (negative / neutral /
positive), topic one of the letters in ``TOPIC_CODES`` or ``-``, and a trailing ``u``
where the labeller hesitated. ``merge`` refuses a chunk whose labels do not cover every
row exactly once, so a skipped row cannot slip in unlabelled.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from sentiment.classifier import HEADS, LABELS
from sentiment.labels import CARE_COLUMNS, CARE_FILE, Example, care_examples, escape_field

SEED = 17  # the issue number: the draw is the same on every machine
TONE_CODES = {"n": "negative", "0": "neutral", "p": "positive"}
TOPIC_CODES = {"b": "billing", "d": "delivery", "a": "account", "f": "defect",
               "o": "outage", "g": "general", "-": ""}
HANDLE = re.compile(r"@(\w+)")


@dataclass(frozen=True)
class Row:
    source: str
    brand: str
    id: str
    text: str


def mask_twcs(text: str, care_accounts: set[str]) -> tuple[str, str]:
    """(brand, masked text) for a TWCS first contact.

    TWCS replaced every mention of a user by an anonymised number and kept only the
    brands' own screen names, so a named handle is a brand account and becomes
    ``@brand``. The brand's reply rows are not in the sample, so the addressed brand is
    the first named care account in the text; without one, the first number (an
    anonymised brand main account such as a company's non-care handle) stands for it,
    written ``id<number>``, and becomes ``@brand`` too; every other number is ``@user``.
    """
    handles = HANDLE.findall(text)
    lower = {a.lower(): a for a in care_accounts}
    named = [lower[h.lower()] for h in handles if h.lower() in lower]
    others = [h for h in handles if not h.isdigit() and h.lower() not in lower]
    numbers = [h for h in handles if h.isdigit()]
    if named:
        brand = named[0]
    elif others:
        brand = others[0]
    elif numbers:
        brand = f"id{numbers[0]}"
    else:
        brand = "unknown"
    addressed = brand[2:] if brand.startswith("id") and brand[2:].isdigit() else None

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.isdigit() and name != addressed:
            return "@user"
        return "@brand"

    return brand, HANDLE.sub(repl, text)


def mask_about(text: str, brand_words: tuple[str, ...]) -> str:
    """Handles of the brands a tweet is about become ``@brand``, every other one ``@user``."""
    def repl(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        return "@brand" if any(name.startswith(w) for w in brand_words) else "@user"

    return HANDLE.sub(repl, text)


def _twcs(data: Path) -> list[Row]:
    with open(data / "twcs" / "twcs_sample.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    accounts = {r["author_id"] for r in rows if r["inbound"] == "False"}
    out = []
    for r in rows:
        if r["inbound"] == "True" and not r["in_response_to_tweet_id"]:
            brand, text = mask_twcs(r["text"], accounts)
            out.append(Row("twcs", brand, r["tweet_id"], text))
    return out


SMALL_TALK = {"greeting", "goodbye", "thank_you", "tell_joke", "what_is_your_name",
              "fun_fact", "meaning_of_life", "who_made_you", "are_you_a_bot",
              "how_old_are_you", "what_are_your_hobbies", "do_you_have_pets",
              "where_are_you_from", "who_do_you_work_for", "yes", "no", "maybe"}
CARE_DOMAIN = {"account_blocked", "bill_balance", "bill_due", "card_declined",
               "damaged_card", "freeze_account", "lost_luggage", "new_card", "order_status",
               "pay_bill", "pin_change", "replacement_card_duration", "report_fraud",
               "report_lost_card", "transactions", "credit_limit_change", "rewards_balance",
               "redeem_rewards", "cancel_reservation", "flight_status", "carry_on",
               "international_fees", "expiration_date", "direct_deposit", "order"}


def _intents(data: Path, rng: random.Random) -> list[Row]:
    folder = data / "intents"
    out: list[Row] = []
    with open(folder / "banking77_train.csv", newline="", encoding="utf-8") as handle:
        bank = list(enumerate(csv.DictReader(handle)))
    for i, r in rng.sample(bank, 60):
        out.append(Row("banking77", "", f"train:{i}", r["text"]))
    clinc = json.loads((folder / "clinc150_data_full.json").read_text(encoding="utf-8"))
    train = list(enumerate(clinc["train"]))
    talk = [(i, t) for i, (t, lab) in train if lab in SMALL_TALK]
    care = [(i, t) for i, (t, lab) in train if lab in CARE_DOMAIN]
    oos = list(enumerate(clinc["oos_train"]))
    for i, t in rng.sample(talk, 40) + rng.sample(care, 40):
        out.append(Row("clinc150", "", f"train:{i}", t))
    for i, (t, _) in rng.sample(oos, 20):
        out.append(Row("clinc150", "", f"oos_train:{i}", t))
    texts = (folder / "hwu64" / "train" / "seq.in").read_text(encoding="utf-8").splitlines()
    labels = (folder / "hwu64" / "train" / "label").read_text(encoding="utf-8").splitlines()
    general = [i for i, lab in enumerate(labels) if lab in
               {"general_praise", "general_joke", "general_quirky", "general_explain"}]
    rest = [i for i, lab in enumerate(labels) if not lab.startswith("general_")]
    for i in rng.sample(general, 50) + rng.sample(rest, 20):
        out.append(Row("hwu64", "", f"train:{i}", texts[i]))
    with open(folder / "bitext_customer_service.csv", newline="", encoding="utf-8-sig") as handle:
        bitext = list(enumerate(csv.DictReader(handle)))
    for i, r in rng.sample(bitext, 70):
        out.append(Row("bitext", "", f"cs:{i}", r["utterance"]))
    return out


def _brand_tweets(data: Path, rng: random.Random) -> list[Row]:
    folder = data / "brand-tweets"
    out: list[Row] = []
    with open(folder / "sanders_full_corpus.csv", newline="", encoding="utf-8") as handle:
        sanders = list(csv.DictReader(handle))
    words = ("apple", "google", "microsoft", "twitter", "android", "iphone", "itunes",
             "bing", "xbox", "windows", "gmail", "youtube", "ipad", "ios")
    for r in rng.sample(sanders, 150):
        out.append(Row("sanders", r["Topic"], r["TweetId"], mask_about(r["TweetText"], words)))
    with open(folder / "apple_twitter_sentiment.csv", newline="", encoding="utf-8") as handle:
        apple = list(csv.DictReader(handle))
    for r in rng.sample(apple, 130):
        out.append(Row("apple-sentiment", "apple", r["_unit_id"], mask_about(r["text"], words)))
    with open(folder / "sxsw_brand_emotions.csv", newline="", encoding="utf-8") as handle:
        sxsw = [(i, r) for i, r in enumerate(csv.DictReader(handle)) if r["tweet_text"]]
    for i, r in rng.sample(sxsw, 120):
        target = r["emotion_in_tweet_is_directed_at"].lower()
        brand = "google" if ("google" in target or "android" in target) else (
            "apple" if target else "")
        out.append(Row("sxsw", brand, str(i), mask_about(r["tweet_text"], words)))
    return out


def _sarcasm(data: Path, rng: random.Random) -> list[Row]:
    with open(data / "sarcasm" / "isarcasm_train_en.csv", newline="", encoding="utf-8") as handle:
        rows = [(r[""], r["tweet"], r["sarcastic"]) for r in csv.DictReader(handle) if r["tweet"]]
    yes = [r for r in rows if r[2] == "1"]
    no = [r for r in rows if r[2] == "0"]
    return [Row("isarcasm", "", f"train:{i}", mask_about(t, ()))
            for i, t, _ in rng.sample(yes, 110) + rng.sample(no, 140)]


def _spam(data: Path, rng: random.Random) -> list[Row]:
    folder = data / "spam"
    youtube = []
    for path in sorted(folder.glob("youtube0*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            youtube += [(path.stem, r) for r in csv.DictReader(handle)]
    out = [Row("youtube-spam", "", f"{stem}:{r['COMMENT_ID']}", mask_about(r["CONTENT"], ()))
           for stem, r in rng.sample(youtube, 125)]
    with open(folder / "sms_spam_collection.tsv", newline="", encoding="utf-8") as handle:
        sms = list(enumerate(csv.DictReader(handle, delimiter="\t")))
    spam = [(i, r) for i, r in sms if r["Label"] == "spam"]
    ham = [(i, r) for i, r in sms if r["Label"] == "ham"]
    out += [Row("sms-spam", "", str(i), r["SMS"]) for i, r in rng.sample(spam, 60)
            + rng.sample(ham, 65)]
    return out


def _chunks(rows: list[Row], size: int) -> list[list[Row]]:
    count = max(1, round(len(rows) / size))
    return [rows[i::count] for i in range(count)]


def draw(data: Path, out: Path, size: int = 100) -> list[Path]:
    """Write the chunks to label, TWCS first contacts interleaved with the other sources
    so every commit of about 500 labels holds several sources. Duplicate texts (after
    masking) are drawn once."""
    rng = random.Random(SEED)
    twcs = _twcs(data)
    rng.shuffle(twcs)
    groups = {name: _chunks(rows, size) for name, rows in (
        ("twcs", twcs), ("intents", _intents(data, rng)), ("brand", _brand_tweets(data, rng)),
        ("sarcasm", _sarcasm(data, rng)), ("spam", _spam(data, rng)))}
    for chunks in groups.values():
        for chunk in chunks:
            rng.shuffle(chunk)
    order = ["twcs"] * 4 + ["spam", "intents"] + ["twcs"] * 3 + ["brand", "sarcasm"] + \
        ["twcs"] * 3 + ["intents", "brand", "spam"] + ["twcs"] * 2 + ["sarcasm", "brand"] + \
        ["twcs"] * 2 + ["intents", "spam", "sarcasm", "brand"] + ["twcs"] * 10
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    paths = []
    for name in order:
        if not groups[name]:
            continue
        chunk = [r for r in groups[name].pop(0) if not (r.text in seen or seen.add(r.text))]
        path = out / f"chunk_{len(paths) + 1:02d}.tsv"
        lines = ["idx\tsource\tbrand\tid\ttext"]
        lines += [f"{i}\t{r.source}\t{r.brand}\t{r.id}\t{escape_field(r.text)}"
                  for i, r in enumerate(chunk)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def parse_labels(line: str) -> tuple[int, list[str]]:
    """``idx nr cp sp sc tone topic [u]`` -> (idx, the seven care-file answer fields)."""
    parts = line.split()
    if len(parts) not in (7, 8) or (len(parts) == 8 and parts[7] != "u"):
        raise ValueError(f"bad label line: {line!r}")
    idx, answers, tone, topic = int(parts[0]), parts[1:5], parts[5], parts[6]
    if any(a not in ("0", "1") for a in answers) or tone not in TONE_CODES \
            or topic not in TOPIC_CODES:
        raise ValueError(f"bad label line: {line!r}")
    return idx, [*answers, TONE_CODES[tone], TOPIC_CODES[topic], str(int(len(parts) == 8))]


def merge(chunks: Path, target: Path = CARE_FILE) -> int:
    """Join every labelled chunk into ``target``; return the number of rows written."""
    out = ["\t".join(CARE_COLUMNS)]
    for path in sorted(chunks.glob("chunk_*.tsv")):
        label_path = path.with_name(path.name.replace("chunk_", "labels_").replace(".tsv", ".txt"))
        if not label_path.exists():
            continue
        rows = path.read_text(encoding="utf-8").splitlines()[1:]
        labels = dict(parse_labels(line) for line in
                      label_path.read_text(encoding="utf-8").splitlines() if line.strip())
        if sorted(labels) != list(range(len(rows))):
            raise ValueError(f"{label_path}: labels do not cover rows 0..{len(rows) - 1}")
        for line in rows:
            idx, source, brand, ident, text = line.split("\t")
            out.append("\t".join([source, brand, ident, text, *labels[int(idx)]]))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return len(out) - 1


GROUPS = {"twcs": ("twcs",), "intents": ("banking77", "bitext", "clinc150", "hwu64"),
          "brand-tweets": ("apple-sentiment", "sanders", "sxsw"), "sarcasm": ("isarcasm",),
          "spam": ("sms-spam", "youtube-spam")}


def stats(path: Path = CARE_FILE) -> str:
    """A markdown table of rows and label shares per source group and data set: what the
    README reports, recomputed from the file so the figures cannot drift from it."""
    examples = care_examples(path)

    def line(name: str, rows: list[Example]) -> str:
        n = max(len(rows), 1)
        cells = [f"{sum(e.answers[h] for e in rows)} ({sum(e.answers[h] for e in rows) / n:.0%})"
                 for h in HEADS]
        tones = "/".join(str(sum(e.tone == t for e in rows)) for t in LABELS)
        return f"| {name} | {len(rows)} | {' | '.join(cells)} | {tones} | " \
               f"{sum(e.unsure for e in rows)} |"

    out = ["| source | rows | " + " | ".join(HEADS) + " | tone neg/neu/pos | unsure |",
           "| --- " * 8 + "|"]
    for group, sources in GROUPS.items():
        out.append(line(f"**{group}**", [e for e in examples if e.source in sources]))
        if len(sources) > 1:
            out += [line(f"&nbsp;{s}", [e for e in examples if e.source == s]) for s in sources]
    out.append(line("**all**", examples))
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:2] == ["draw"]:
        print(len(draw(Path(sys.argv[2]) / "care", Path(sys.argv[3]))), "chunks")
    elif sys.argv[1:2] == ["merge"]:
        print(merge(Path(sys.argv[2])), "rows")
    elif sys.argv[1:2] == ["stats"]:
        print(stats())
    else:
        sys.exit(__doc__)
