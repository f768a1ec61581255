"""Behaviour of the sentiment model adapter (accuracy is measured by `model eval`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import ModelSettings
from core.errors import ModelError
from sentiment.classifier import LABELS
from sentiment.evaluate import compute_metrics, format_report, load_dataset
from sentiment.transformer import base_model_path, load_classifier

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = [
    "@united thanks for the upgrade, the crew was wonderful!",
    "@AmericanAir my flight was cancelled and nobody at the desk can help. Awful.",
    "@delta what time does boarding start for DL 1234?",
    "Lost my bag again. Third time this year. Never flying with you again",
    "ok",
    "The new update is out today.",
    "I love this app so much, best purchase ever",
    "why isn't my game installing?",
    "@SouthwestAir been on hold for 2 hours, this is ridiculous",
    "Great service at the airport lounge this morning :)",
    "Does anyone know if the store opens on Sunday?",
    "worst customer service I have ever experienced",
    "Just landed in Denver.",
    "Thank you so much for sorting out my refund so quickly!",
    "my package never arrived and I was charged twice",
    "Watching the game tonight with friends",
    "@JetBlue can I bring my dog on board?",
    "this is the third time the app crashed today, fix it",
    "Happy birthday to the best team in the world!!",
    "The meeting is moved to 3pm.",
    "I'm not sure how I feel about the new logo",
    "you guys rock, thanks for the quick reply",
    "Flight delayed 5 hours with no explanation. Unacceptable.",
    "Is there wifi on the plane?",
] * 2


@pytest.fixture(scope="module")
def fp32_classifier(classifier):
    """The default model in fp32 (the session one when the settings say fp32)."""
    if not classifier.quantized:
        return classifier
    return load_classifier(ModelSettings(quantize=False))


@pytest.fixture(scope="module")
def int8_classifier(classifier):
    if classifier.quantized:
        return classifier
    return load_classifier(ModelSettings(quantize=True))


def test_labels_valid_and_scores_sum_to_one(classifier) -> None:
    predictions = classifier.classify(SAMPLE)
    assert len(predictions) == len(SAMPLE)
    for prediction in predictions:
        assert prediction.label in LABELS
        assert set(prediction.scores) == set(LABELS)
        assert sum(prediction.scores.values()) == pytest.approx(1.0, abs=1e-5)
        assert prediction.label == max(prediction.scores, key=prediction.scores.__getitem__)
    assert classifier.name == "default"
    assert len(classifier.version) == 12
    assert classifier.classify([]) == []


def test_obvious_tones(fp32_classifier) -> None:
    labels = [p.label for p in fp32_classifier.classify(
        ["worst customer service I have ever experienced",
         "Thank you so much, you are wonderful!"]
    )]  # fmt: skip
    assert labels == ["negative", "positive"]


def test_batching_equals_one_by_one(fp32_classifier) -> None:
    texts = SAMPLE[:24]
    batched = fp32_classifier.classify(texts)
    single = [fp32_classifier.classify([text])[0] for text in texts]
    for one, other in zip(batched, single, strict=True):
        assert one.label == other.label
        for label in LABELS:
            assert one.scores[label] == pytest.approx(other.scores[label], abs=1e-4)


def test_order_kept_when_lengths_differ(classifier) -> None:
    texts = ["ok", SAMPLE[1] * 3, "thanks!", SAMPLE[3]]
    batched = classifier.classify(texts)
    reversed_ = classifier.classify(texts[::-1])[::-1]
    assert [p.label for p in batched] == [p.label for p in reversed_]


def test_quantized_agrees_with_fp32(int8_classifier, fp32_classifier) -> None:
    """The int8 encoder's own tone against torch fp32 (which serves no tone head: the
    served int8 tone blends one in, docs/model.md)."""
    from sentiment.activations import softmax

    assert int8_classifier.quantized and not fp32_classifier.quantized
    tone = softmax(int8_classifier.encoder.encode(SAMPLE[:24]).tone_logits)
    q = [dict(zip(int8_classifier.labels, row.tolist(), strict=True)) for row in tone]
    f = fp32_classifier.classify(SAMPLE[:24])
    agree = sum(max(a, key=a.__getitem__) == b.label for a, b in zip(q, f, strict=True)) / len(q)
    assert agree >= 0.85
    drift = max(abs(a[x] - b.scores[x]) for a, b in zip(q, f, strict=True) for x in LABELS)
    assert drift < 0.35


def test_offline_loading_and_offline_hub_name() -> None:
    """A fresh process with the hub switched off (and no route out) still loads."""
    script = (
        "from config.settings import ModelSettings\n"
        "from core.errors import ModelError\n"
        "from sentiment.transformer import load_classifier\n"
        "c = load_classifier(ModelSettings(quantize=False))\n"
        "print(c.classify(['thanks so much!'])[0].label)\n"
        "try:\n"
        "    load_classifier(ModelSettings(name='mentiondesk-tests/no-such-model'))\n"
        "except ModelError as e:\n"
        "    print('ModelError:', e)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               PYTHONPATH=str(ROOT))  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0] in LABELS
    assert lines[1].startswith("ModelError: cannot load sentiment model")
    assert "HF_HUB_OFFLINE" in lines[1]


def test_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist") as info:
        load_classifier(ModelSettings(name=str(tmp_path / "nope")))
    assert "\n" not in str(info.value)


def test_corrupt_model_directory_is_model_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match="cannot load sentiment model"):
        load_classifier(ModelSettings(name=str(tmp_path)))


def test_trained_model_directory_without_weights(tmp_path: Path) -> None:
    import shutil

    from sentiment.transformer import DEFAULT_MODEL_DIR

    for name in ("manifest.json", "config.json"):
        shutil.copy(DEFAULT_MODEL_DIR / name, tmp_path / name)
    with pytest.raises(ModelError, match="missing or unreadable"):
        load_classifier(ModelSettings(name=str(tmp_path)))


def _tiny_roberta(directory: Path) -> None:
    import torch
    from transformers import AutoTokenizer, RobertaConfig, RobertaForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    config = RobertaConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
        num_attention_heads=2, intermediate_size=64, max_position_embeddings=160,
        pad_token_id=tokenizer.pad_token_id, num_labels=3,
    )  # fmt: skip
    RobertaForSequenceClassification(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def test_tiny_roberta_with_label_map(tmp_path: Path) -> None:
    _tiny_roberta(tmp_path)
    mapping = {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}
    for quantize in (False, True):
        model = load_classifier(
            ModelSettings(name=str(tmp_path), label_map=mapping, quantize=quantize)
        )
        predictions = model.classify(SAMPLE[:6])
        assert [p.label in LABELS for p in predictions] == [True] * 6
        assert all(sum(p.scores.values()) == pytest.approx(1.0, abs=1e-5) for p in predictions)
        assert model.name == str(tmp_path) and len(model.version) == 12


def test_unmappable_labels_are_model_error(tmp_path: Path) -> None:
    _tiny_roberta(tmp_path)
    with pytest.raises(ModelError, match="label_map"):
        load_classifier(ModelSettings(name=str(tmp_path)))


def test_metrics_and_report(tmp_path: Path) -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    pred = ["negative", "neutral", "neutral", "negative"]
    report = compute_metrics(gold, pred, "toy")
    assert report.macro_recall == pytest.approx((0.5 + 1 + 0) / 3)
    assert report.negative_precision == pytest.approx(0.5)
    assert report.negative_f1 == pytest.approx(0.5)
    assert report.confusion == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    assert "macro recall" in format_report(report)
    json.dumps(report.as_dict())


def test_loads_both_data_formats(tmp_path: Path) -> None:
    (tmp_path / "test_text.txt").write_text("good\nbad\n", encoding="utf-8")
    (tmp_path / "test_labels.txt").write_text("2\n0\n", encoding="utf-8")
    assert load_dataset(tmp_path).labels == ["positive", "negative"]
    csv_path = tmp_path / "a.csv"
    csv_path.write_text('text,sentiment\n"hi, there",neutral\n', encoding="utf-8")
    assert load_dataset(csv_path).texts == ["hi, there"]


def test_model_eval_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from config.settings import BrandSettings, Settings
    from sentiment.model_cli import register

    (tmp_path / "val_text.txt").write_text(
        "worst service ever, I hate this\nthank you so much, you are wonderful!\n",
        encoding="utf-8",
    )
    (tmp_path / "val_labels.txt").write_text("0\n2\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["model", "eval", "--data", str(tmp_path), "--json"])
    settings = Settings(brands=[BrandSettings(name="Acme", handles=["acme"])])
    assert args.func(args, settings) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["n"] == 2 and figures["model"] == "default"
    assert figures["accuracy"] == 1.0


def test_every_head_comes_from_the_same_pass_with_probabilities(classifier) -> None:
    from sentiment.classifier import HEADS

    predictions = classifier.classify(SAMPLE[:12])
    assert len(predictions) == 12
    for prediction in predictions:
        assert set(prediction.heads) == set(HEADS)
        assert all(0.0 <= p <= 1.0 for p in prediction.heads.values())
    # Every head has its threshold; "unsure" is the bottom of triage's unsure band,
    # "praise" the bar for praise that asks nothing (above the needs_reply bar).
    assert set(HEADS) <= set(classifier.thresholds) <= {*HEADS, "unsure", "praise"}
    assert all(0.0 < t < 1.0 for t in classifier.thresholds.values())
    assert classifier.thresholds["unsure"] <= classifier.thresholds["needs_reply"]
    assert classifier.thresholds.get("praise", 1.0) > classifier.thresholds["needs_reply"]


def test_heads_batched_equal_one_by_one(fp32_classifier) -> None:
    texts = SAMPLE[:10]
    batched = fp32_classifier.classify(texts)
    single = [fp32_classifier.classify([text])[0] for text in texts]
    for one, other in zip(batched, single, strict=True):
        for head, value in one.heads.items():
            assert value == pytest.approx(other.heads[head], abs=1e-4)


def test_the_version_names_the_weights_and_the_heads(classifier, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    from sentiment.heads import HEADS_FILE
    from sentiment.transformer import DEFAULT_MODEL_DIR, directory_version

    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    assert directory_version(copy) == classifier.version
    state = load_file(str(copy / HEADS_FILE))
    state["out.bias"] = state["out.bias"] + 0.5
    save_file(state, str(copy / HEADS_FILE), metadata={"names": "needs_reply,complaint,spam,"
                                                                "sarcasm"})
    changed = directory_version(copy)
    assert changed != classifier.version
    (copy / HEADS_FILE).unlink()
    assert directory_version(copy) not in (changed, classifier.version)


def _features_heads_model(folder: Path) -> Path:
    """The default encoder with heads that read its [pooled, mean] features only (the
    shipped heads also read the sentence vector, which only the ONNX files serve): the
    torch and fp32 ONNX paths can run these."""
    import shutil

    import torch

    from sentiment.heads import Heads, save_heads
    from sentiment.transformer import DEFAULT_MODEL_DIR

    folder.mkdir()
    for name in ("config.json", "weights.safetensors"):
        shutil.copy(DEFAULT_MODEL_DIR / name, folder / name)
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    manifest.pop("head_inputs", None)
    manifest.pop("serving", None)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    torch.manual_seed(0)
    save_heads(Heads(384), folder)
    return folder


def test_onnx_runtime_gives_the_torch_results(classifier, tmp_path: Path) -> None:
    assert classifier.onnx is not None  # the default settings run ONNX Runtime
    model = str(_features_heads_model(tmp_path / "model"))
    fp32_classifier = load_classifier(ModelSettings(name=model, quantize=False,
                                                    cache_dir=tmp_path / "cache"))
    assert fp32_classifier.onnx is not None and not fp32_classifier.quantized
    torch_run = load_classifier(ModelSettings(name=model, runtime="torch", quantize=False))
    assert torch_run.onnx is None and torch_run.version == fp32_classifier.version
    for fast, slow in zip(fp32_classifier.classify(SAMPLE[:16]),
                          torch_run.classify(SAMPLE[:16]), strict=True):
        assert fast.label == slow.label
        for key in LABELS:
            assert fast.scores[key] == pytest.approx(slow.scores[key], abs=1e-4)
        for head, value in slow.heads.items():
            assert fast.heads[head] == pytest.approx(value, abs=1e-4)


def test_an_unwritable_onnx_cache_falls_back_to_torch(tmp_path: Path) -> None:
    """fp32 ONNX is exported into the cache at first use; the shipped int8 files are
    not, so the default model serves with a cache folder that cannot be written."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    model = str(_features_heads_model(tmp_path / "model"))  # heads torch can feed
    slow = load_classifier(ModelSettings(name=model, cache_dir=blocked / "cache",
                                         quantize=False))
    assert slow.onnx is None
    assert slow.classify(["@united my bag is lost"])[0].heads
    served = load_classifier(ModelSettings(cache_dir=blocked / "cache"))
    assert served.onnx and served.classify(["@united my bag is lost"])[0].heads
