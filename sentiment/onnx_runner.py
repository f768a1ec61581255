"""Run the tone-and-heads network through ONNX Runtime: the same fp32 arithmetic,
about three times the throughput of eager torch on CPU (docs/model.md, Speed).

The network is exported once per model version with ``torch.onnx.export`` into a cache
folder (the file is ~90 MB, too large to ship) and loaded from there afterwards.
Vendor errors stay in this module and ``sentiment.transformer``.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask")
OPSET = 17


def cache_dir(configured: Path | None) -> Path:
    """Where exported models live: the setting, else $XDG_CACHE_HOME/mentiondesk."""
    if configured is not None:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mentiondesk"


def export(net: Any, tokenizer: Any, path: Path) -> None:
    """Export ``net`` (a ``TriageNet``) with dynamic batch and length; atomic."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["a short text", "and a slightly longer one here"], padding=True,
                       return_tensors="pt")  # fmt: skip
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "tone": {0: "batch"}, "heads": {0: "batch"}}  # fmt: skip
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes
        torch.onnx.export(
            net, (sample["input_ids"], sample["attention_mask"]), str(tmp),
            input_names=list(INPUTS), output_names=["tone", "heads"], dynamic_axes=axes,
            opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    tmp.replace(path)


class OnnxNet:
    """An ONNX Runtime session answering (tone logits, head logits) for a padded batch."""

    def __init__(self, path: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options,
                                            providers=["CPUExecutionProvider"])  # fmt: skip

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        tone, heads = self.session.run(None, {
            "input_ids": input_ids.astype(np.int64),
            "attention_mask": attention_mask.astype(np.int64),
        })  # fmt: skip
        return tone, heads


def quantize(source: Path, path: Path) -> None:
    """int8 weights, one scale per output channel, activations quantised on the fly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(str(source), str(tmp), per_channel=True, weight_type=QuantType.QInt8)
    tmp.replace(path)


def load_onnx(net: Any, tokenizer: Any, version: str, folder: Path, threads: int,
              int8: bool = False) -> OnnxNet | None:
    """The cached export of this model version (exported first if missing; quantised to
    int8 too with ``int8``), or None when ONNX Runtime or the exporter is not installed
    or the cache cannot be written (the caller stays on torch)."""
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime  # noqa: F401
    except ImportError:
        log.warning("onnx/onnxruntime not installed: running the model in torch (slower)")
        return None
    path = folder / f"triage-{version}.onnx"
    if not path.is_file():
        log.info("exporting model %s to %s (once per model version)", version, path)
        try:
            export(net, tokenizer, path)
        except OSError as exc:  # a read-only or full cache folder: slower, not broken
            log.warning("cannot write %s (%s): running the model in torch (slower); "
                        "set [model] cache_dir", path, exc.strerror or exc)
            return None
    if int8:
        quantized = folder / f"triage-{version}-int8.onnx"
        if not quantized.is_file():
            try:
                quantize(path, quantized)
            except OSError as exc:
                log.warning("cannot write %s (%s): running in torch", quantized, exc)
                return None
        path = quantized
    return OnnxNet(path, threads)
