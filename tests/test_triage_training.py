"""The triage labels join the training data by key, and heads train and load from them.

No shared data here: a tiny data folder in the shared layout is written per test.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

from config.settings import ModelSettings
from sentiment.classifier import HEADS
from sentiment.evaluate import DataError
from sentiment.labels import join, read_labels, split_of, text_key, write_labels
from tests.support import write_airline_csv

REQUESTS = "@acme I need to change my booking {}"
PRAISE = "@acme what a lovely flight, thanks {}"


def _texts_with_prefixes(template: str, prefixes: str, count: int) -> list[str]:
    """Texts whose label keys start with one of ``prefixes`` (to land in a split)."""
    found = []
    for n in itertools.count():
        text = template.format(n)
        if text_key(text)[0] in prefixes:
            found.append(text)
            if len(found) == count:
                return found
    raise AssertionError("unreachable")


def _tiny_data(root: Path) -> tuple[Path, Path]:
    """An airline CSV and TweetEval train files, and a labels file for them."""
    rows, labels = [], []
    for template, answers, tone in ((REQUESTS, (1, 0, 0, 0), "neutral"),
                                    (PRAISE, (0, 0, 0, 0), "positive")):
        for prefixes, count in (("0123456789ab", 8), ("cd", 3), ("ef", 3)):
            for text in _texts_with_prefixes(template, prefixes, count):
                rows.append({"text": text, "sentiment": tone})
                labels.append((text_key(text), "airline", dict(zip(HEADS, answers,
                                                                   strict=True))))
    data = root / "data"
    write_airline_csv(data, rows)
    (data / "tweeteval-sentiment").mkdir()
    (data / "tweeteval-sentiment" / "train_text.txt").write_text("just a tweet\n",
                                                                 encoding="utf-8")
    (data / "tweeteval-sentiment" / "train_labels.txt").write_text("1\n", encoding="utf-8")
    write_labels(labels, root / "labels.tsv")
    return data, root / "labels.tsv"


def test_keys_splits_and_the_labels_file_round_trip(tmp_path):
    assert text_key("hello") == "aaf4c61ddcc5e8a2"  # sha1("hello")[:16]
    assert [split_of(k) for k in ("e0", "f9", "c1", "d2", "a3", "09")] == [
        "test", "test", "val", "val", "train", "train"]
    rows = [("ab12", "airline", {"needs_reply": 1, "complaint": 0, "spam": 0, "sarcasm": 1})]
    write_labels(rows, tmp_path / "l.tsv")
    assert read_labels(tmp_path / "l.tsv") == {"ab12": ("airline", rows[0][2])}
    (tmp_path / "bad.tsv").write_text("ab12\tairline\t1\t0\t2\t0\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad\.tsv:1"):
        read_labels(tmp_path / "bad.tsv")


def test_join_finds_each_text_by_key_and_refuses_unknown_keys(tmp_path):
    data, labels = _tiny_data(tmp_path)
    examples = join(data, labels, sample=False)
    assert len(examples) == 28
    assert {e.split for e in examples} == {"train", "val", "test"}
    assert all(text_key(e.text) == e.key and e.tone for e in examples)
    with_sample = join(data, labels)
    assert {"sample", "written"} <= {e.source for e in with_sample}
    with open(labels, "a", encoding="utf-8") as handle:
        handle.write("ffffffffffffffff\tairline\t1\t0\t0\t0\n")
    with pytest.raises(DataError, match="not in"):
        join(data, labels, sample=False)


def test_heads_train_choose_thresholds_and_load(tmp_path):
    from sentiment.train_heads import train_heads
    from sentiment.transformer import DEFAULT_MODEL_DIR, load_classifier

    data, labels = _tiny_data(tmp_path)
    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model)
    (model / "heads.safetensors").unlink()
    section = train_heads(model, data, labels, epochs=3, progress=False,
                          examples=join(data, labels, sample=False))
    assert set(section["thresholds"]) == set(HEADS)
    assert section["training"]["examples"] == {"train": 16, "val": 6, "test": 6}
    test_needs = section["figures"]["test"]["needs_reply"]
    assert test_needs["n"] == 6 and sum(map(sum, test_needs["confusion"])) == 6
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["heads"]["thresholds"] == section["thresholds"]

    trained = load_classifier(ModelSettings(name=str(model), runtime="torch"))
    assert trained.thresholds == section["thresholds"]
    (prediction,) = trained.classify([REQUESTS.format("x")])
    assert set(prediction.heads) == set(HEADS)


def test_model_eval_reports_every_head_on_the_held_out_labels(tmp_path, capsys):
    import argparse

    from config.settings import BrandSettings, Settings
    from sentiment.model_cli import register

    data, labels = _tiny_data(tmp_path)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", "eval", "--data", str(data), "--labels", str(labels),
                              "--json"])
    settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])])
    assert args.func(args, settings) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "test" and report["n"] > 0  # the e/f keys, plus the sample's
    assert set(report["heads"]) == set(HEADS)
    assert report["heads"]["needs_reply"]["n"] == report["n"]
    assert {"needs_reply (airline)", "needs_reply (all)"} <= set(report["triage"])
    assert [row["threshold"] for row in report["trade_off"]][:2] == [0.05, 0.1]
