"""The serving encoder's vectors for training texts, computed once and cached.

The heads are trained on exactly what they will read when the desk runs: the int8
ONNX encoder's ``features`` [768] and the base sentence encoder's ``sentence`` [384]
(the contract of the serving files: ``encoder.onnx``, ``sentence.onnx``,
``tokenizer.json`` in one folder; token ids cut to 64 and 128, each text read alone).
A cache file per encoder version keeps them by text key, so refitting heads or adding
labels never re-encodes what was already seen. (Vectors cached before the fourth stop
were read in length-sorted batches, which int8 scales per pass: they differ from a
lone reading by that much, as the texts of any two serving batches did.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

HEAD_INPUTS = ("features", "sentence")
Progress = Callable[[int, int], None]


def encode(folder: Path, texts: Sequence[str], *, threads: int = 2,
           progress: Progress | None = None) -> dict[str, np.ndarray]:
    """``features``, ``sentence`` and ``tone_logits`` per text, served as the desk serves
    them (``sentiment.encoder``), in chunks so a progress bar can follow."""
    from sentiment.encoder import Encoder

    encoder = Encoder.load(folder, threads=threads)
    out = {"features": np.zeros((len(texts), 768), np.float32),
           "sentence": np.zeros((len(texts), 384), np.float32),
           "tone_logits": np.zeros((len(texts), 3), np.float32)}  # fmt: skip
    step = 512
    for start in range(0, len(texts), step):
        end = min(start + step, len(texts))
        encoded = encoder.encode(texts[start:end])
        out["features"][start:end] = encoded.features
        out["sentence"][start:end] = encoded.sentence
        out["tone_logits"][start:end] = encoded.tone_logits
        if progress is not None:
            progress(end, len(texts))
    return out


def encoder_id(folder: Path) -> str:
    """12 hex digits naming the serving files (a changed encoder means new vectors)."""
    digest = hashlib.sha256()
    for name in ("encoder.onnx", "sentence.onnx"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


def key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def cached_encode(folder: Path, texts: Sequence[str], cache_dir: Path, *, threads: int = 2,
                  progress: Progress | None = None) -> dict[str, np.ndarray]:
    """``encode`` with a cache per encoder version in ``cache_dir``: only new texts run."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"vectors-{encoder_id(folder)}.npz"
    stored: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as handle:
            stored = {name: handle[name] for name in handle.files}
    index = {k: i for i, k in enumerate(stored.get("keys", np.array([], dtype="U16")))}
    keys = [key(t) for t in texts]
    new = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in index}.items())
    if new:
        fresh = encode(folder, [t for _, t in new], threads=threads, progress=progress)
        merged = {"keys": np.concatenate([stored.get("keys", np.array([], dtype="U16")),
                                          np.array([k for k, _ in new], dtype="U16")])}
        for name, array in fresh.items():
            old = stored.get(name, np.zeros((0, array.shape[1]), np.float32))
            merged[name] = np.concatenate([old, array.astype(np.float32)])
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **cast(dict[str, Any], merged))
        tmp.replace(path)
        stored = merged
        index = {k: i for i, k in enumerate(stored["keys"])}
    rows = np.array([index[k] for k in keys], dtype=np.int64)
    return {name: stored[name][rows] for name in stored if name != "keys"}


def head_inputs(vectors: dict[str, np.ndarray], names: Sequence[str] = HEAD_INPUTS
                ) -> np.ndarray:
    """The heads' input: the named vectors side by side, in manifest order."""
    return np.concatenate([vectors[name] for name in names], axis=1).astype(np.float32)
