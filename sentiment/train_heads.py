"""Train the triage heads on the shipped encoder and choose their thresholds.

The encoder (fine-tuned for tone by ``sentiment.train``) is kept as it is; its
features for every labelled example are computed once, then the small heads MLP is
trained on the ``train`` split (``sentiment.labels``) with a fixed seed. The ``val``
split chooses the epoch and the thresholds: needs_reply at the highest threshold that
still finds ``recall_target`` of the mentions needing a reply (the fewest false
alarms at that recall), the other heads at their best F1. The ``test`` split (keys
starting e/f) is only measured, and the figures go into the manifest.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

from sentiment.classifier import HEADS
from sentiment.evaluate import (
    binary_metrics,
    threshold_for_f1,
    threshold_for_recall,
)
from sentiment.labels import LABELS_FILE, Example, join
from sentiment.transformer import MANIFEST, load_model_dir

log = logging.getLogger(__name__)

RECALL_TARGET = 0.97  # needs_reply: no mention needing an answer goes unseen


def encode_features(
    net: Any, tokenizer: Any, texts: list[str], max_length: int, progress: bool = True
) -> Any:
    """Head features for each text (length-sorted batches, input order kept)."""
    import torch
    from tqdm import tqdm

    encoded = tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    out = torch.zeros(len(texts), 2 * net.model.config.hidden_size)
    with torch.inference_mode():
        for start in tqdm(range(0, len(order), 64), desc="features", unit="batch",
                          disable=not progress, mininterval=10):  # fmt: skip
            chunk = order[start : start + 64]
            batch = tokenizer.pad({"input_ids": [encoded[i] for i in chunk]},
                                  return_tensors="pt")  # fmt: skip
            _, features = net.features(batch["input_ids"], batch["attention_mask"])
            out[chunk] = features
    return out


def head_probabilities(heads: Any, features: Any) -> dict[str, list[float]]:
    import torch

    heads.eval()
    with torch.inference_mode():
        probs = torch.sigmoid(heads(features)).T.tolist()
    return dict(zip(heads.names, probs, strict=True))


def _fit(
    features: Any, targets: Any, val_features: Any, val_targets: Any, *, seed: int,
    epochs: int, lr: float, weight_decay: float,
) -> tuple[Any, list[dict[str, Any]]]:
    """Heads trained by minibatch AdamW; the epoch with the lowest val loss is kept."""
    import torch

    from sentiment.heads import Heads

    torch.manual_seed(seed)
    rng = random.Random(seed)
    heads = Heads(features.shape[1] // 2)
    positives = targets.sum(0).clamp(min=1.0)
    pos_weight = ((len(targets) - positives) / positives).clamp(max=10.0).sqrt()
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=weight_decay)
    best: tuple[float, int, dict[str, Any]] | None = None
    history = []
    order = list(range(len(targets)))
    for epoch in range(1, epochs + 1):
        heads.train()
        rng.shuffle(order)
        for start in range(0, len(order), 64):
            idx = order[start : start + 64]
            loss = loss_fn(heads(features[idx]), targets[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        heads.eval()
        with torch.no_grad():
            val_loss = loss_fn(heads(val_features), val_targets).item()
        history.append({"epoch": epoch, "val_loss": round(val_loss, 4)})
        if best is None or val_loss < best[0]:
            best = (val_loss, epoch, {k: v.clone() for k, v in heads.state_dict().items()})
    assert best is not None
    heads.load_state_dict(best[2])
    heads.eval()
    log.info("heads: best val loss %.4f at epoch %d", best[0], best[1])
    return heads, history


def choose_thresholds(
    heads: Any, val_x: Any, val_y: Any, test_x: Any, test_y: Any
) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    """Thresholds from the val split (recall target for needs_reply, best F1 for the
    rest) and the figures at those thresholds on val and on the held-out test split."""
    val_probs = head_probabilities(heads, val_x)
    test_probs = head_probabilities(heads, test_x)
    thresholds: dict[str, float] = {}
    figures: dict[str, dict[str, Any]] = {"val": {}, "test": {}}
    for j, head in enumerate(heads.names):
        gold_val = [int(v) for v in val_y[:, j].tolist()]
        gold_test = [int(v) for v in test_y[:, j].tolist()]
        if head == "needs_reply":
            threshold = threshold_for_recall(gold_val, val_probs[head], RECALL_TARGET)
        else:
            threshold = threshold_for_f1(gold_val, val_probs[head])
        thresholds[head] = round(float(threshold), 4)
        figures["val"][head] = binary_metrics(head, gold_val, val_probs[head], threshold).as_dict()
        figures["test"][head] = binary_metrics(head, gold_test, test_probs[head],
                                               threshold).as_dict()  # fmt: skip
    return thresholds, figures


def train_heads(
    model_dir: Path,
    data_dir: Path,
    labels_path: Path = LABELS_FILE,
    *,
    seed: int = 13,
    epochs: int = 60,
    lr: float = 1e-3,
    weight_decay: float = 0.01,
    max_length: int = 64,
    threads: int = 1,
    progress: bool = True,
    examples: list[Example] | None = None,
) -> dict[str, Any]:
    """Train heads for the model in ``model_dir`` and write them beside it.

    Returns the ``heads`` section written into the manifest (thresholds, figures).
    """
    import torch

    from sentiment.heads import TriageNet, save_heads

    torch.set_num_threads(threads)
    model_dir = Path(model_dir)
    model, tokenizer, _, _, _ = load_model_dir(model_dir)
    model.eval()
    examples = examples if examples is not None else join(Path(data_dir), labels_path)
    parts = {s: [e for e in examples if e.split == s] for s in ("train", "val", "test")}
    log.info("heads: %s examples", {s: len(v) for s, v in parts.items()})
    from sentiment.heads import Heads

    net = TriageNet(model, Heads(model.config.hidden_size)).eval()
    features = encode_features(net, tokenizer, [e.text for e in examples], max_length, progress)
    index = {id(e): i for i, e in enumerate(examples)}

    def tensors(split: str) -> tuple[Any, Any]:
        rows = [index[id(e)] for e in parts[split]]
        targets = torch.tensor([[float(e.answers[h]) for h in HEADS] for e in parts[split]])
        return features[rows], targets

    train_x, train_y = tensors("train")
    val_x, val_y = tensors("val")
    test_x, test_y = tensors("test")
    heads, history = _fit(train_x, train_y, val_x, val_y, seed=seed, epochs=epochs, lr=lr,
                          weight_decay=weight_decay)  # fmt: skip
    thresholds, figures = choose_thresholds(heads, val_x, val_y, test_x, test_y)
    save_heads(heads, model_dir)
    section = {
        "names": list(HEADS),
        "thresholds": thresholds,
        "recall_target": RECALL_TARGET,
        "training": {"seed": seed, "epochs": epochs, "lr": lr, "weight_decay": weight_decay,
                     "max_length": max_length, "history": history,
                     "examples": {s: len(v) for s, v in parts.items()}},
        "figures": figures,
    }  # fmt: skip
    manifest_path = model_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["heads"] = section
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return section
