"""Build time: turn a trained model folder into the files the desk serves from.

Serving (``sentiment.encoder``) runs two int8 ONNX networks and a fast tokenizer, so the
daemon never imports torch or transformers; this module, run by ``main.py model export``
after training, is where torch makes them:

- ``encoder.onnx``: the fine-tuned tone encoder; outputs ``tone_logits`` [n, 3] and
  ``features`` [n, 768] = concat(pooled, masked mean of the last hidden states), exactly
  ``TriageNet.features``, which the heads read.
- ``sentence.onnx``: the base all-MiniLM-L6-v2; output ``sentence`` [n, 384], mean-pooled
  over real tokens and L2-normalised (``sentiment.embedding``'s vectors).
- ``tokenizer.json``: the base tokenizer (both networks share it), without padding or
  truncation baked in; the runtime sets those.

Both networks are exported in fp32 and quantised to int8 weights (one scale per output
channel, activations quantised on the fly): a quarter of the size, 2-3x the speed.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from sentiment.encoder import ENCODER_FILE, MANIFEST, SENTENCE_FILE, TOKENIZER_FILE, encoder_version
from sentiment.onnx_runner import INPUTS, OPSET, quantize

log = logging.getLogger(__name__)


def _encoder_module(model: Any) -> Any:
    """The fine-tuned classifier as (tone_logits, features); the heads stay outside."""
    import torch

    class ToneFeatures(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor]:
            from sentiment.heads import encoder_features

            return encoder_features(self.model, input_ids, attention_mask)

    return ToneFeatures(model).eval()


def _sentence_module(model: Any) -> Any:
    """The base encoder as one unit-length mean-pooled vector per text."""
    import torch

    class Sentence(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            hidden = hidden.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return Sentence(model).eval()


def _export(module: Any, outputs: list[str], path: Path) -> None:
    """fp32 export with dynamic batch and length to a temporary file, then int8 to
    ``path`` (atomically)."""
    import torch

    ids = torch.tensor([[101, 1037, 2460, 3793, 102, 0], [101, 1998, 1037, 2146, 2028, 102]])
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes.update({name: {0: "batch"} for name in outputs})
    with tempfile.TemporaryDirectory() as folder:
        fp32 = Path(folder) / "fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on shapes it fixes
            torch.onnx.export(module, (ids, mask), str(fp32), input_names=list(INPUTS),
                              output_names=outputs, dynamic_axes=axes,
                              opset_version=OPSET, dynamo=False)  # fmt: skip
        quantize(fp32, path)


def export_tokenizer(path: Path) -> None:
    """The base tokenizer as one ``tokenizer.json``, with no padding or truncation set
    (the runtime pads per length-sorted batch and truncates per network)."""
    from tokenizers import Tokenizer

    from sentiment.transformer import base_model_path

    tokenizer = Tokenizer.from_file(str(base_model_path() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(tokenizer.to_str(), encoding="utf-8")
    tmp.replace(path)


def export_serving(model_dir: Path, out_dir: Path | None = None,
                   parts: tuple[str, ...] = ("encoder", "sentence", "tokenizer")) -> list[Path]:
    """Write the serving files of the model in ``model_dir`` (base package + stored
    tensors) into ``out_dir`` (default: the model folder itself); returns their paths.
    The sentence network does not depend on the fine-tuned weights, so a retrain only
    needs ``parts=("encoder",)``."""
    out_dir = Path(out_dir or model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if "encoder" in parts:
        from sentiment.transformer import load_model_dir

        model, _tokenizer, _version, _heads, _thresholds = load_model_dir(Path(model_dir))
        _export(_encoder_module(model.eval()), ["tone_logits", "features"],
                out_dir / ENCODER_FILE)
        written.append(out_dir / ENCODER_FILE)
        _record_version(out_dir, encoder_version(Path(model_dir)), model)
    if "sentence" in parts:
        from transformers import AutoModel

        from sentiment.transformer import base_model_path

        base = AutoModel.from_pretrained(base_model_path()).eval()
        _export(_sentence_module(base), ["sentence"], out_dir / SENTENCE_FILE)
        written.append(out_dir / SENTENCE_FILE)
    if "tokenizer" in parts:
        export_tokenizer(out_dir / TOKENIZER_FILE)
        written.append(out_dir / TOKENIZER_FILE)
    for path in written:
        log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return written


def _record_version(out_dir: Path, version: str, model: Any) -> None:
    """Note in the manifest which stored weights the ONNX file was made from (serving
    refuses a stale export) and the tone labels in output order (serving reads no
    transformers config)."""
    manifest_path = out_dir / MANIFEST
    if not manifest_path.is_file():
        return
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    id2label = model.config.id2label
    manifest["serving"] = {
        "encoder": ENCODER_FILE,
        "sentence": SENTENCE_FILE,
        "tokenizer": TOKENIZER_FILE,
        "made_from": version,
        "tone_labels": [str(id2label[i]) for i in range(len(id2label))],
    }
    manifest.setdefault("head_inputs", ["features"])
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
