"""The care labels (issue 17) load, keep their texts exact, and never show a brand's handle.

The shipped ``care_labels.tsv`` is read as it is: these tests fail if a labeller's merge
wrote a broken line, an unmasked @handle, a duplicate text or a row without a brand.
The drawing tool's masking and merge checks run on small made-up inputs.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from sentiment.care_sample import mask_about, mask_twcs, merge, parse_labels, stats
from sentiment.classifier import HEADS, LABELS
from sentiment.evaluate import DataError
from sentiment.labels import (
    CARE_COLUMNS,
    CARE_FILE,
    TOPIC_NAMES,
    care_examples,
    escape_field,
    unescape_field,
)


@pytest.mark.parametrize("text", ["plain", "two\nlines\r\n", "tab\there", "a \\n literal",
                                  "ends with \\", "\\t\t\\\\"])
def test_escaped_texts_read_back_exactly(text):
    field = escape_field(text)
    assert "\t" not in field and "\n" not in field and "\r" not in field
    assert unescape_field(field) == text


def test_the_shipped_care_labels_load_with_masked_handles():
    examples = care_examples()
    assert len(examples) >= 500
    assert all(set(e.answers) == set(HEADS) and e.tone in LABELS for e in examples)
    assert all(e.topic in ("", *TOPIC_NAMES) for e in examples)
    # SMS has no handles: its "@" means "at" ("@Warner Village"), so it is left as written.
    handles = {h for e in examples if e.source != "sms-spam"
               for h in re.findall(r"(?<![\w.])@\w+", e.text)}
    assert handles <= {"@brand", "@user"}, handles - {"@brand", "@user"}
    keys = Counter(e.key for e in examples)
    assert keys.most_common(1)[0][1] == 1, "a text was labelled twice"
    twcs = [e for e in examples if e.source == "twcs"]
    assert twcs and all(e.brand for e in twcs)
    # A care request is the common case in TWCS; praise and chatter exist but are few.
    assert sum(e.answers["needs_reply"] for e in twcs) > len(twcs) / 2


def test_a_broken_care_line_names_its_line(tmp_path):
    good = "\t".join(["twcs", "Acme", "1", "@brand my order\\nis late", "1", "1", "0", "0",
                      "negative", "delivery", "0"])
    path = tmp_path / "care.tsv"
    path.write_text("\t".join(CARE_COLUMNS) + "\n" + good + "\n", encoding="utf-8")
    [example] = care_examples(path)
    assert example.text == "@brand my order\nis late"
    assert example.answers == {"needs_reply": 1, "complaint": 1, "spam": 0, "sarcasm": 0}
    assert (example.brand, example.topic, example.unsure) == ("Acme", "delivery", False)
    path.write_text(good + "\n" + good.replace("negative", "angry") + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=":2:"):
        care_examples(path)


def test_twcs_handles_are_masked_and_the_brand_kept_aside():
    accounts = {"AcmeHelp", "OtherCare"}
    brand, text = mask_twcs("@acmehelp @123 my order, cc @OtherCare", accounts)
    assert (brand, text) == ("AcmeHelp", "@brand @user my order, cc @brand")
    brand, text = mask_twcs("hey @115858 why is my @99 phone slow", accounts)
    assert (brand, text) == ("id115858", "hey @brand why is my @user phone slow")
    assert mask_about("@Apple love it, says @bob", ("apple",)) == "@brand love it, says @user"


def test_merge_refuses_a_chunk_with_a_row_left_unlabelled(tmp_path):
    (tmp_path / "chunk_01.tsv").write_text(
        "idx\tsource\tbrand\tid\ttext\n0\ttwcs\tAcme\t1\thi\n1\ttwcs\tAcme\t2\tbye\n",
        encoding="utf-8")
    (tmp_path / "labels_01.txt").write_text("0 1 0 0 0 0 g\n", encoding="utf-8")
    with pytest.raises(ValueError, match="do not cover"):
        merge(tmp_path, tmp_path / "out.tsv")
    (tmp_path / "labels_01.txt").write_text("0 1 0 0 0 0 g\n1 0 0 0 0 p - u\n",
                                            encoding="utf-8")
    assert merge(tmp_path, tmp_path / "out.tsv") == 2
    assert [e.unsure for e in care_examples(tmp_path / "out.tsv")] == [False, True]
    table = stats(tmp_path / "out.tsv")
    assert "| **twcs** | 2 | 1 (50%) | 0 (0%) | 0 (0%) | 0 (0%) | 0/1/1 | 1 |" in table
    with pytest.raises(ValueError):
        parse_labels("0 1 0 0 0 happy g")
    assert CARE_FILE.name == "care_labels.tsv"
