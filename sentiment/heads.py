"""Tone and the triage heads in one forward pass.

``TriageNet`` wraps the fine-tuned BERT tone classifier: one encoder pass gives the
tone logits (the model's own pooled [CLS] path) and, from the pooled vector and the
mean of the token vectors, one logit per head in ``HEADS`` (needs_reply, complaint,
spam, sarcasm). The heads are a small MLP stored beside the tone weights
(``heads.safetensors``); their decision thresholds live in the model's manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from sentiment.classifier import HEADS

HEADS_FILE = "heads.safetensors"
HIDDEN = 256  # width of the heads' one hidden layer


class Heads(torch.nn.Module):
    """[pooled, mean] (2 x encoder width) -> one logit per head."""

    def __init__(self, width: int, names: tuple[str, ...] = HEADS, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.names = names
        self.dropout = torch.nn.Dropout(0.1)
        self.hidden = torch.nn.Linear(2 * width, hidden)
        self.out = torch.nn.Linear(hidden, len(names))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.out(torch.nn.functional.gelu(self.hidden(self.dropout(features))))


class TriageNet(torch.nn.Module):
    """Encoder once; tone logits and head logits from the same hidden states."""

    def __init__(self, model: Any, heads: Heads) -> None:
        super().__init__()
        self.model = model
        self.heads = heads

    def features(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(tone logits, head features) for a padded batch."""
        return encoder_features(self.model, input_ids, attention_mask)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        tone, features = self.features(input_ids, attention_mask)
        return tone, self.heads(features)


def encoder_features(model: Any, input_ids: torch.Tensor, attention_mask: torch.Tensor
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(tone logits, features) of a BERT classifier: features = [pooled, masked mean of
    the last hidden states]. One definition for training and for the ONNX export the
    desk serves from (``sentiment.export``), so heads see the same numbers in both."""
    out = model.bert(input_ids=input_ids, attention_mask=attention_mask)
    pooled = out.pooler_output
    tone = model.classifier(model.dropout(pooled))
    mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
    mean = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    return tone, torch.cat([pooled, mean], dim=-1)


def save_heads(heads: Heads, directory: Path) -> None:
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in heads.state_dict().items()}
    save_file(state, str(Path(directory) / HEADS_FILE), metadata={"names": ",".join(heads.names)})


def load_heads(directory: Path, width: int) -> Heads | None:
    """The stored heads, or None when the model directory has none (tone only)."""
    path = Path(directory) / HEADS_FILE
    if not path.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(path), "pt") as handle:
        names = tuple((handle.metadata() or {}).get("names", ",".join(HEADS)).split(","))
    state = load_file(str(path))
    hidden = state["hidden.weight"].shape[0]
    heads = Heads(width, names, hidden)
    heads.load_state_dict({k: v.float() for k, v in state.items()})
    heads.eval()
    return heads
