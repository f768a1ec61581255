"""The shipped model served from its int8 ONNX files (sentiment/encoder.py): no torch on
the serving path, the contract the heads are trained against, and one pass per text
shared with the sentence embedder."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from config.settings import ModelSettings
from core.errors import ModelError
from sentiment.activations import erf
from sentiment.encoder import (
    DEFAULT_MODEL_DIR,
    FEATURES,
    HEADS_FILE,
    MANIFEST,
    SENTENCE,
    WEIGHTS,
    EncoderClassifier,
    load_serving,
)
from sentiment.transformer import load_classifier, load_models
from tests.support import REPO

TEXTS = ["@lumora my order never arrived, two weeks now", "love the new lamp!",
         "how do I reset my hub?", "ok", "Lumora hub offline again " * 12]


@pytest.fixture(scope="module")
def served() -> EncoderClassifier:
    classifier, _ = load_models(ModelSettings())
    assert isinstance(classifier, EncoderClassifier)
    return classifier


def test_the_serving_commands_import_neither_torch_nor_transformers(tmp_path: Path) -> None:
    """A fresh interpreter runs poll --once, triage, draft, review and builds the daemon's
    scheduler and web app on the demo, then shows what it imported."""
    config = (REPO / "config" / "demo.toml").read_text(encoding="utf-8")
    config = config.replace('path = "samples/', f'path = "{REPO}/samples/')
    (tmp_path / "demo.toml").write_text(config, encoding="utf-8")
    (tmp_path / "texts.txt").write_text("@lumora my order never arrived\nlove it\n",
                                        encoding="utf-8")
    script = f"""
import io, sys
import main
from pipeline.settings import load_settings as load
from core.clock import SystemClock
cfg = {str(tmp_path / "demo.toml")!r}
assert main.main(["--config", cfg, "poll", "--once"]) == 0
assert main.main(["--config", cfg, "triage", "texts.txt"]) == 0
assert main.main(["--config", cfg, "draft", "texts.txt"]) == 0
sys.stdin = io.StringIO("a long pass phrase\\n")
assert main.main(["--config", cfg, "users", "add", "ann", "--role", "agent",
                  "--password-stdin"]) == 0
sys.stdin = io.StringIO("")
assert main.main(["--config", cfg, "review", "--as", "ann"]) == 0
from pathlib import Path
settings = load(Path(cfg))
pipeline = main.build_pipeline(settings, SystemClock())
from pipeline.daemon import build_scheduler
build_scheduler(pipeline)
from web.app import create_app
create_app(pipeline.store, settings, SystemClock(), "x" * 32)
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "transformers"))
print("HEAVY", heavy)
"""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HEAVY []" in done.stdout, done.stdout[-2000:]
    triaged = [json.loads(line) for line in done.stdout.splitlines()
               if line.startswith('{"text": "@lumora my order')]
    assert triaged and triaged[0]["label"] == "negative" and triaged[0]["needs_reply"]


def test_encoded_outputs_follow_the_contract(served: EncoderClassifier) -> None:
    encoded = served.encoder.encode(TEXTS)
    assert encoded.tone_logits.shape == (len(TEXTS), 3)
    assert encoded.features.shape == (len(TEXTS), FEATURES)
    assert encoded.sentence.shape == (len(TEXTS), SENTENCE)
    assert np.allclose(np.linalg.norm(encoded.sentence, axis=1), 1.0, atol=1e-4)
    assert np.allclose(served.encoder.sentences(TEXTS), encoded.sentence, atol=1e-6)
    # Each text is read alone (int8 scales activations per pass): what it gets among
    # others is exactly what it gets by itself, whatever came with it and in any order.
    for i, text in enumerate(TEXTS):
        alone = served.encoder.encode([text])
        assert np.array_equal(alone.tone_logits[0], encoded.tone_logits[i])
        assert np.array_equal(alone.features[0], encoded.features[i])
        assert np.array_equal(alone.sentence[0], encoded.sentence[i])
    shuffled = served.encoder.encode([*reversed(TEXTS), "@lumora thanks, all fixed now!"])
    assert np.array_equal(shuffled.features[:len(TEXTS)][::-1], encoded.features)


def test_long_texts_are_cut_like_transformers(served: EncoderClassifier) -> None:
    ids = served.encoder.token_ids(["word " * 400])[0]
    assert len(ids) == 128 and ids[0] == 101 and ids[-1] == 102
    feed = served.encoder._feed(ids, served.max_length)
    assert feed["input_ids"].shape == (1, 64) and feed["input_ids"][0, -1] == 102


def test_the_onnx_encoder_matches_the_torch_model_it_was_exported_from(served) -> None:
    """The committed encoder.onnx is the stored weights' network (int8): the same tone
    and nearly the same head features as torch fp32 on the same texts."""
    import torch

    from sentiment.encoder import read_manifest
    from sentiment.heads import TriageNet, load_stored_heads
    from sentiment.transformer import load_model_dir

    model, tokenizer, _, _, _ = load_model_dir(DEFAULT_MODEL_DIR)
    heads = load_stored_heads(DEFAULT_MODEL_DIR).eval()
    net = TriageNet(model.eval(), heads).eval()
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=64,
                      return_tensors="pt")
    encoded = served.encoder.encode(TEXTS)
    inputs = read_manifest(DEFAULT_MODEL_DIR).get("head_inputs") or ["features"]
    with torch.no_grad():
        tone, features = net.features(batch["input_ids"], batch["attention_mask"])
        # fp32 features beside the served sentence vector, if the heads read it
        extra = [torch.from_numpy(encoded.sentence)] if "sentence" in inputs else []
        head_logits = heads(torch.cat([features, *extra], dim=1))
    assert (tone.numpy().argmax(1) == encoded.tone_logits.argmax(1)).all()
    cos = (features.numpy() * encoded.features).sum(1) / (
        np.linalg.norm(features.numpy(), axis=1) * np.linalg.norm(encoded.features, axis=1))
    assert cos.min() > 0.95
    # The numpy heads compute what the torch heads compute, on the same input.
    with torch.no_grad():
        expected = heads(torch.from_numpy(encoded.select(inputs))).numpy()
    assert np.allclose(served.heads(encoded), expected, atol=1e-4)
    assert np.abs(served.heads(encoded) - head_logits.numpy()).max() < 3.0


def test_erf_is_exact_enough_for_gelu() -> None:
    x = np.linspace(-6, 6, 2001)
    assert np.abs(erf(x) - np.array([math.erf(v) for v in x])).max() < 2e-7


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    return copy


def test_heads_may_read_features_and_sentence(tmp_path: Path) -> None:
    """``head_inputs`` = ["features", "sentence"]: a 1152-wide heads file is served."""
    from safetensors.numpy import save_file

    copy = _copy(tmp_path)
    rng = np.random.default_rng(0)
    save_file({"hidden.weight": rng.normal(0, 0.05, (16, FEATURES + SENTENCE)).astype(np.float16),
               "hidden.bias": np.zeros(16, np.float16),
               "out.weight": rng.normal(0, 0.5, (2, 16)).astype(np.float16),
               "out.bias": np.zeros(2, np.float16)},
              str(copy / HEADS_FILE), metadata={"names": "needs_reply,spam"})
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["head_inputs"] = ["features", "sentence"]
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    classifier = load_serving(copy, name=str(copy))
    predictions = classifier.classify(TEXTS[:3])
    assert all(set(p.heads) == {"needs_reply", "spam"} for p in predictions)
    encoded = classifier.encoder.encode(TEXTS[:3])
    x = np.concatenate([encoded.features, encoded.sentence], axis=1)
    w = classifier.heads
    hidden = x @ w.hidden_w + w.hidden_b
    hidden = 0.5 * hidden * (1 + np.vectorize(math.erf)(hidden / math.sqrt(2)))
    expected = 1 / (1 + np.exp(-(hidden @ w.out_w + w.out_b)))
    assert np.allclose([p.heads["spam"] for p in predictions], expected[:, 1], atol=1e-5)
    manifest["head_inputs"] = ["features"]  # the file is 1152 wide: refused, not misread
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelError, match="head_inputs"):
        load_serving(copy, name=str(copy))


def test_a_tone_head_and_the_thresholds_are_named_in_the_version(
        tmp_path: Path) -> None:
    from sentiment.activations import softmax
    from sentiment.encoder import TONE_HEAD_FILE, blend_tone, encoder_version
    from sentiment.train_tone import drop_stale_tone_head, save_tone_head
    from sentiment.train_wide import Mlp

    copy = _copy(tmp_path)
    (copy / TONE_HEAD_FILE).unlink(missing_ok=True)
    alone = load_serving(copy, name=str(copy))
    rng = np.random.default_rng(1)
    head = Mlp(rng.normal(0, 0.05, (8, FEATURES + SENTENCE)).astype(np.float32),
               np.zeros(8, np.float32), rng.normal(0, 2.0, (3, 8)).astype(np.float32),
               np.array([0.0, 1.0, -1.0], np.float32), names=("negative", "neutral", "positive"),
               output="softmax")  # fmt: skip
    save_tone_head(head, 0.7, copy, encoder_version(copy))
    blended = load_serving(copy, name=str(copy))
    assert blended.version != alone.version  # stored triage rows show the change
    save_tone_head(head, 0.7, copy, encoder_version(copy))  # the same head saved again
    assert load_serving(copy, name=str(copy)).version == blended.version
    encoded = blended.encoder.encode(TEXTS[:3])
    x = np.concatenate([encoded.features, encoded.sentence], axis=1)
    expected = softmax(blend_tone(encoded.tone_logits, head.logits(x), 0.7))
    served_scores = [[p.scores[k] for k in ("negative", "neutral", "positive")]
                     for p in blended.classify(TEXTS[:3])]
    assert np.allclose(served_scores, expected, atol=1e-5)
    assert np.allclose([[p.scores[k] for k in ("negative", "neutral", "positive")]
                        for p in alone.classify(TEXTS[:3])], softmax(encoded.tone_logits),
                       atol=1e-5)  # fmt: skip
    # New thresholds with the same weights decide differently: another version.
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["heads"]["thresholds"]["praise"] = 0.9
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rebarred = load_serving(copy, name=str(copy))
    assert rebarred.version != blended.version and rebarred.thresholds["praise"] == 0.9
    # Fitted on another encoder's vectors: refused with one sentence, never misread.
    save_tone_head(head, 0.7, copy, "0" * 12)
    with pytest.raises(ModelError, match="another encoder"):
        load_serving(copy, name=str(copy))
    # Training a new encoder removes such a head and only such a head.
    assert drop_stale_tone_head(copy) == copy / TONE_HEAD_FILE
    assert load_serving(copy, name=str(copy)).tone_head is None  # served again, unblended
    save_tone_head(head, 0.7, copy, encoder_version(copy))
    assert drop_stale_tone_head(copy) is None and (copy / TONE_HEAD_FILE).is_file()


def test_a_stale_export_is_refused(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    weights = bytearray((copy / WEIGHTS).read_bytes())
    weights[-1] ^= 1
    (copy / WEIGHTS).write_bytes(bytes(weights))
    with pytest.raises(ModelError, match="model export"):
        load_classifier(ModelSettings(name=str(copy)))


def test_a_missing_onnx_file_is_one_clear_error(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    (copy / "sentence.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load the model files"):
        load_classifier(ModelSettings(name=str(copy)))


def test_the_embedder_reuses_the_classifier_pass(monkeypatch) -> None:
    classifier, embedder = load_models(ModelSettings())
    assert embedder.encoder is classifier.encoder  # one sentence network in the process
    classifier.classify(TEXTS)
    encoded: list[str] = []
    real = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda batch: (encoded.extend(batch),
                                                           real(batch))[1])
    vectors = embedder.embed([*TEXTS[:2], "a text nobody classified"])
    assert encoded == ["a text nobody classified"]
    assert np.allclose(vectors[:2], classifier.encoder.encode(TEXTS).sentence[:2], atol=1e-6)


def test_drafting_encodes_a_batch_of_queries_in_one_call(make_settings, embedder) -> None:
    """The knowledge-base queries of a drafting batch are encoded together, then each
    mention's article lookup finds its vector in the embedder's cache."""
    from pipeline.replies import Replies
    from tests.support import mention_line

    settings = make_settings([mention_line(str(i), f"@lumora my order {i} never came", 0)
                              for i in range(6)], extra="""
        [[responder.knowledge_base]]
        title = "Where is my order?"
        url = "https://help.lumora.example/orders"
        description = "Tracking a parcel, late or lost deliveries."
        """)
    calls: list[list[str]] = []
    real = embedder._encode

    def counted(batch: list[str]) -> np.ndarray:
        calls.append(list(batch))
        return real(batch)

    embedder._cache.clear()
    replies = Replies(settings, embedder)
    replies.index()  # the articles' vectors, once
    embedder._encode = counted
    try:
        rows = [{"text": f"@lumora my order {i} never came", "brand": "Lumora"}
                for i in range(6)] + [{"text": "@lumora hi", "brand": "Renamed Away"}]
        replies._embed_queries(rows)
        assert calls == [[f"my order {i} never came" for i in range(6)]]
        for row in rows[:6]:
            replies._article({**row, "label": "negative", "topic": "general"}, "en",
                             ["lumora", "Lumora"])
        assert len(calls) == 1  # every lookup was a cache hit
    finally:
        del embedder._encode


def test_doctor_timings_names_every_start_up_step(tmp_path: Path, capsys) -> None:
    """`doctor --timings` walks the daemon's start-up (web off here) and says where the
    time went, step by step, ending with the total to "daemon running"."""
    import main

    config = (REPO / "config" / "demo.toml").read_text(encoding="utf-8")
    config = config.replace('path = "samples/', f'path = "{REPO}/samples/')
    config = config.replace('database = "data/demo.db"', f'database = "{tmp_path}/d.db"')
    config = config.replace("[web]\n", "[web]\nenabled = false\n")
    (tmp_path / "demo.toml").write_text(config, encoding="utf-8")
    assert main.main(["--config", str(tmp_path / "demo.toml"), "doctor", "--timings"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    steps = [line.split(" s  ", 1)[1] for line in lines]
    assert steps[0] == "interpreter, imports, configuration"
    assert any(step.startswith("model: ONNX sessions") for step in steps)
    assert steps[-1] == 'process start to "daemon running"'
    seconds = [float(line.split(" s  ", 1)[0]) for line in lines]
    # Each step is printed to 0.01 s, so the sum may be off by half of that per step.
    assert seconds[-1] == pytest.approx(sum(seconds[:-1]), abs=0.005 * len(seconds) + 1e-9)


def test_a_stage_that_did_work_wakes_the_next_unless_it_runs() -> None:
    """The daemon's relay: a poll that stored mentions runs triage now, not at its next
    tick; a stage already running is left to its own drain."""
    from pipeline.daemon import Relay

    class Scheduler:
        def __init__(self) -> None:
            self.woken: list[str] = []

        def modify_job(self, name: str, next_run_time: object) -> None:
            self.woken.append(name)

    relay, scheduler = Relay(), Scheduler()
    relay.scheduler = scheduler
    assert relay.stage("poll:x", lambda: 0, "triage")() == 0
    assert scheduler.woken == []
    assert relay.stage("poll:x", lambda: 3, "triage")() == 3
    assert scheduler.woken == ["triage"]

    def triage_while_polling() -> int:
        return relay.stage("poll:x", lambda: 2, "triage")()

    assert relay.stage("triage", triage_while_polling, "draft")() == 2
    assert scheduler.woken == ["triage", "draft"]  # triage was running: not woken again
