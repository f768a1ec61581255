"""Sentence embeddings from the base all-MiniLM-L6-v2 encoder, served from the int8
``sentence.onnx`` shipped with the model (``sentiment.encoder``; no torch, no network):
mean-pooled over real tokens, L2-normalised, so the dot product of two vectors is their
cosine similarity.

Used where meaning matters more than keywords: the knowledge-base article for a mention,
the nearest past approved reply, topics. When the tone model is served from the same
files, its one pass per mention hands the sentence vectors over (``remember``), so a
mention triaged and then drafted is encoded once.

    embedder = Embedder.load()          # once per process (well under a second)
    vectors = embedder.embed(texts)     # numpy array, one unit-length row per text
    embedder.similarity(a, b)           # cosine of two texts
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelError
from sentiment.encoder import DEFAULT_MODEL_DIR, SENTENCE, Encoder

DIMENSIONS = SENTENCE


class Embedder:
    """Batched, cached sentence embeddings. Texts already seen are not encoded again
    (an LRU cache of ``cache_size`` texts, ~1.6 KB each), so re-drafting a queue, or
    drafting a mention just triaged, costs nothing."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, encoder: Encoder, *, cache_size: int = 8192) -> None:
        self.encoder = encoder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # daemon jobs share one embedder across threads

    @classmethod
    def load(cls, model_dir: Path | None = None, **options: Any) -> Embedder:
        """The sentence network shipped in ``model_dir`` (default: the shipped model)."""
        encoder = Encoder.load(model_dir or DEFAULT_MODEL_DIR, tone=False)
        return cls(encoder, **options)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text, in input order."""
        with self._lock:
            return self._embed(texts)

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Vectors computed elsewhere from these texts (the classifier's pass)."""
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache[text] = vector.copy()
                self._cache.move_to_end(text)
            self._trim()

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        fresh = dict(zip(missing, self._encode(missing), strict=True)) if missing else {}
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            vector = fresh.get(text)
            if vector is None:
                vector = self._cache[text]
                self._cache.move_to_end(text)
            out[i] = vector
        for text, vector in fresh.items():
            self._cache[text] = vector
        self._trim()
        return out

    def _trim(self) -> None:
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def similarity(self, a: str, b: str) -> float:
        left, right = self.embed([a, b])
        return float(left @ right)

    def _encode(self, texts: list[str]) -> np.ndarray:
        try:
            return self.encoder.sentences(texts)
        except ModelError:
            raise
        except Exception as exc:  # onnxruntime's and tokenizers' errors: one clear error
            raise ModelError(f"sentence encoder failed: {exc}") from exc
