"""A short joint fine-tune: encoder, tone and heads together, from a model with heads.

Each step takes half a batch of hand-labelled triage examples (the four heads' loss,
plus tone where the source has one) and half a batch of tone examples (airline
train, TweetEval train), so tone is not forgotten while the encoder learns what
needs a reply. The word embeddings stay frozen (the stored model holds only changed
tensors). Afterwards the thresholds are chosen again on the val split, the held-out
test split and the tone sets are measured, and the model directory is written.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from pathlib import Path
from typing import Any

from sentiment.classifier import HEADS, LABELS
from sentiment.evaluate import compute_metrics
from sentiment.labels import LABELS_FILE, join
from sentiment.train import FROZEN, _batches, load_training_data, optimizer_step
from sentiment.train_heads import choose_thresholds, encode_features
from sentiment.transformer import MANIFEST, WEIGHTS, TransformerClassifier, load_model_dir

log = logging.getLogger(__name__)


def _tone_report(model: Any, tokenizer: Any, heads: Any, texts: list[str], gold: list[str],
                 name: str, max_length: int) -> dict[str, Any]:
    classifier = TransformerClassifier(model, tokenizer, name=name, version="",
                                       labels=list(LABELS), batch_size=64,
                                       max_length=max_length, heads=heads)  # fmt: skip
    predicted = [p.label for p in classifier.classify(texts)]
    return compute_metrics(gold, predicted, name).as_dict()


def fine_tune_jointly(
    model_dir: Path,
    data_dir: Path,
    out_dir: Path,
    labels_path: Path = LABELS_FILE,
    *,
    steps: int = 1500,
    batch_size: int = 32,
    lr: float = 3e-5,
    head_lr: float = 3e-4,
    max_length: int = 64,
    seed: int = 13,
    threads: int = 1,
    max_minutes: float | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Fine-tune ``model_dir`` (which must have heads) into ``out_dir``."""
    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm

    from sentiment.heads import TriageNet, save_heads

    torch.set_num_threads(threads)
    random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model, tokenizer, _, heads, _ = load_model_dir(Path(model_dir))
    if heads is None:
        raise ValueError(f"{model_dir} has no heads: run `model train --heads-only` first")
    net = TriageNet(model, heads)
    examples = join(Path(data_dir), labels_path)
    labelled = [e for e in examples if e.split == "train"]
    tone_train, tone_val, air_test = load_training_data(Path(data_dir), airline_repeat=1)
    lab_ids = tokenizer([e.text for e in labelled], truncation=True,
                        max_length=max_length)["input_ids"]  # fmt: skip
    lab_y = torch.tensor([[float(e.answers[h]) for h in HEADS] for e in labelled])
    lab_tone = torch.tensor([LABELS.index(e.tone) if e.tone else -100 for e in labelled])
    tone_ids = tokenizer(tone_train.texts, truncation=True, max_length=max_length)["input_ids"]
    tone_y = [LABELS.index(label) for label in tone_train.labels]

    for name, param in net.named_parameters():
        param.requires_grad = name.removeprefix("model.") not in FROZEN
    encoder = [p for n, p in net.named_parameters() if p.requires_grad and
               not n.startswith("heads.")]  # fmt: skip
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": lr}, {"params": list(net.heads.parameters()), "lr": head_lr}],
        weight_decay=0.01,
    )
    warm = max(1, steps // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm)))
    )
    counts = [tone_y.count(i) for i in range(len(LABELS))]
    tone_loss = torch.nn.CrossEntropyLoss(
        weight=torch.tensor([len(tone_y) / (len(LABELS) * c) for c in counts]),
        ignore_index=-100,
    )
    positives = lab_y.sum(0).clamp(min=1.0)
    head_loss = torch.nn.BCEWithLogitsLoss(
        pos_weight=((len(lab_y) - positives) / positives).clamp(max=10.0).sqrt()
    )
    half = batch_size // 2
    lab_plan: list[list[int]] = []
    tone_plan: list[list[int]] = []
    started = time.monotonic()
    net.train()
    running = 0.0
    bar = tqdm(total=steps, desc="joint fine-tune", unit="step", disable=not progress,
               mininterval=10)  # fmt: skip
    done = 0
    for step in range(1, steps + 1):
        if not lab_plan:
            lab_plan = _batches([len(x) for x in lab_ids], half, rng)
        if not tone_plan:
            tone_plan = _batches([len(x) for x in tone_ids], half, rng)
        a, b = lab_plan.pop(), tone_plan.pop()
        batch = tokenizer.pad({"input_ids": [lab_ids[i] for i in a]}, return_tensors="pt")
        tone_logits, head_logits = net(batch["input_ids"], batch["attention_mask"])
        loss = head_loss(head_logits, lab_y[a])
        if (lab_tone[a] >= 0).any():
            loss = loss + 0.5 * tone_loss(tone_logits, lab_tone[a])
        batch = tokenizer.pad({"input_ids": [tone_ids[i] for i in b]}, return_tensors="pt")
        tone_logits, _ = net(batch["input_ids"], batch["attention_mask"])
        loss = loss + tone_loss(tone_logits, torch.tensor([tone_y[i] for i in b]))
        running = optimizer_step(loss, [p for p in net.parameters() if p.requires_grad],
                                 optimizer, scheduler, bar, running if step > 1 else None)
        done = step
        if max_minutes is not None and time.monotonic() - started > max_minutes * 60:
            log.warning("time budget spent: stopping at step %d of %d", step, steps)
            break
    bar.close()
    net.eval()
    minutes = (time.monotonic() - started) / 60

    val = [e for e in examples if e.split == "val"]
    test = [e for e in examples if e.split == "test"]
    feats = encode_features(net, tokenizer, [e.text for e in val + test], max_length, progress)

    def targets(rows: list[Any]) -> Any:
        return torch.tensor([[float(e.answers[h]) for h in HEADS] for e in rows])

    thresholds, figures = choose_thresholds(net.heads, feats[: len(val)], targets(val),
                                            feats[len(val):], targets(test))  # fmt: skip
    tone = {
        "tweeteval_val": _tone_report(model, tokenizer, net.heads, tone_val.texts,
                                      tone_val.labels, tone_val.name, max_length),
        "airline_heldout": _tone_report(model, tokenizer, net.heads, air_test.texts,
                                        air_test.labels, air_test.name, max_length),
    }  # fmt: skip

    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(Path(model_dir), tmp)
    stored = {n: p.detach().to(torch.float16).contiguous()
              for n, p in model.named_parameters() if n not in FROZEN}  # fmt: skip
    save_file(stored, str(tmp / WEIGHTS))
    save_heads(net.heads, tmp)
    manifest = json.loads((tmp / MANIFEST).read_text(encoding="utf-8"))
    manifest["figures_fp32"] = tone
    manifest["heads"]["thresholds"] = thresholds
    manifest["heads"]["figures"] = figures
    manifest["joint"] = {"steps": steps, "steps_done": done, "batch_size": batch_size,
                         "lr": lr, "head_lr": head_lr, "seed": seed,
                         "max_length": max_length, "minutes": round(minutes, 1),
                         "labelled_train": len(labelled), "tone_train": len(tone_y)}  # fmt: skip
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return manifest
