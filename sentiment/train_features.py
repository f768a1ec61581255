"""The serving encoder's vectors for training texts, computed once and cached.

The heads are trained on exactly what they will read when the desk runs: the int8
ONNX encoder's ``features`` [768] and the base sentence encoder's ``sentence`` [384]
(the contract of the serving files: ``encoder.onnx``, ``sentence.onnx``,
``tokenizer.json`` in one folder; token ids cut to 64 and 128, padded with 0 per
length-sorted batch). A cache file per encoder version keeps them by text key, so
refitting heads or adding labels never re-encodes what was already seen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ENCODER_MAX, SENTENCE_MAX = 64, 128
HEAD_INPUTS = ("features", "sentence")
Progress = Callable[[int, int], None]


def _session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _pad(rows: list[list[int]], limit: int) -> tuple[np.ndarray, np.ndarray]:
    rows = [r if len(r) <= limit else [*r[: limit - 1], r[-1]] for r in rows]
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def encode(folder: Path, texts: Sequence[str], *, threads: int = 2, batch: int = 32,
           progress: Progress | None = None) -> dict[str, np.ndarray]:
    """``features``, ``sentence`` and ``tone_logits`` per text, from the serving files."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    enc = _session(folder / "encoder.onnx", threads)
    sen = _session(folder / "sentence.onnx", threads)
    ids = [e.ids for e in tok.encode_batch(list(texts))]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = {"features": np.zeros((len(ids), 768), np.float32),
           "sentence": np.zeros((len(ids), 384), np.float32),
           "tone_logits": np.zeros((len(ids), 3), np.float32)}  # fmt: skip
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        a, m = _pad([ids[i] for i in chunk], ENCODER_MAX)
        tone, feats = enc.run(["tone_logits", "features"], {"input_ids": a, "attention_mask": m})
        a, m = _pad([ids[i] for i in chunk], SENTENCE_MAX)
        (sent,) = sen.run(["sentence"], {"input_ids": a, "attention_mask": m})
        out["tone_logits"][chunk], out["features"][chunk], out["sentence"][chunk] = (
            tone, feats, sent)
        if progress is not None:
            progress(min(start + batch, len(order)), len(order))
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
        np.savez(tmp, **merged)
        tmp.replace(path)
        stored = merged
        index = {k: i for i, k in enumerate(stored["keys"])}
    rows = np.array([index[k] for k in keys], dtype=np.int64)
    return {name: stored[name][rows] for name in stored if name != "keys"}


def head_inputs(vectors: dict[str, np.ndarray], names: Sequence[str] = HEAD_INPUTS
                ) -> np.ndarray:
    """The heads' input: the named vectors side by side, in manifest order."""
    return np.concatenate([vectors[name] for name in names], axis=1).astype(np.float32)
