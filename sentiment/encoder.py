"""Serving the shipped model without torch: two int8 ONNX networks, a fast tokenizer and
numpy heads. The daemon, web, ``poll``, ``triage``, ``draft`` and ``review`` run on this.

Contract (also in docs/model.md; files made by ``main.py model export``):

- ``encoder.onnx``: inputs ``input_ids``, ``attention_mask`` (int64 [n, t]); outputs
  ``tone_logits`` [n, 3] (in ``manifest["serving"]["tone_labels"]`` order) and
  ``features`` [n, 768] = concat(pooled, masked mean of the last hidden states), as
  ``sentiment.heads.encoder_features``. Tokens truncated at ``max_length`` (64).
- ``sentence.onnx``: same inputs; output ``sentence`` [n, 384], the base
  all-MiniLM-L6-v2 mean-pooled over real tokens and L2-normalised. Truncated at 128.
- ``tokenizer.json``: one ``tokenizers`` tokenizer for both, no padding or truncation
  baked in; pad id 0; truncation keeps [CLS] and the first tokens and ends with [SEP].
- ``heads.safetensors`` (read with ``safetensors.numpy``): ``hidden.weight`` [H, D],
  ``hidden.bias``, ``out.weight`` [k, H], ``out.bias``; metadata ``names``; logits =
  out(gelu(hidden(x))) with the exact (erf) gelu, probability = sigmoid. ``x`` is the
  concatenation of the encoder outputs listed in the manifest's ``head_inputs``
  (default ``["features"]``, D = 768; ``["features", "sentence"]``, D = 1152).
- ``tone_head.safetensors`` (optional, same layout, softmax over negative / neutral /
  positive; metadata ``names``, ``inputs``, ``weight`` and ``made_from``): served tone is
  ``softmax((1 - weight) * log_softmax(tone_logits) + weight * log_softmax(head))``, the
  encoder's own tone blended with a head trained on many sources (docs/model.md, Tone).
  A head fitted on another encoder's vectors is refused, like a stale export.
- ``manifest.json``: thresholds under ``heads.thresholds``; ``serving.made_from`` names
  the stored weights the encoder was exported from (``encoder_version``), so a stale
  export is refused rather than served.

Every text is tokenised once; both networks run on the same length-sorted batches, so a
mention costs one pass of each, and its sentence vector (topics, knowledge base, past
replies) comes with its tone and heads (``EncoderClassifier`` hands it to the
``Embedder``, which then does not encode the text again).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from core.errors import ModelError
from sentiment.activations import gelu, log_softmax, sigmoid, softmax
from sentiment.classifier import LABELS, Prediction

log = logging.getLogger(__name__)

ENCODER_FILE = "encoder.onnx"
SENTENCE_FILE = "sentence.onnx"
TOKENIZER_FILE = "tokenizer.json"
HEADS_FILE = "heads.safetensors"
TONE_HEAD_FILE = "tone_head.safetensors"
MANIFEST = "manifest.json"
FEATURES = 768
SENTENCE = 384
SENTENCE_MAX_LENGTH = 128  # what all-MiniLM-L6-v2 was trained at
TRIM_AFTER = 64  # texts in one call above which freed heap is handed back afterwards
DEFAULT_HEAD_INPUTS = ("features",)
WEIGHTS = "weights.safetensors"  # the fine-tuned tensors the encoder was exported from
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Encoded:
    """What reading a list of texts gives, one row per text in input order."""

    tone_logits: np.ndarray  # [n, 3]
    features: np.ndarray  # [n, 768], the heads' default input
    sentence: np.ndarray  # [n, 384], unit length

    def select(self, names: Sequence[str]) -> np.ndarray:
        """The named outputs side by side (the heads' input)."""
        return np.concatenate([getattr(self, name) for name in names], axis=1)


def _session(path: Path) -> Any:
    """A session for one-text passes: one thread each (``Encoder`` runs as many passes
    at once as it has workers; more threads per pass of one short text only wait)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: the daemon's other jobs (polling,
    # drafting, the web inbox) share the same few cores with the model.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _cores() -> int:
    """The cores this process may run on (its affinity, where the system says), else all."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _run_options() -> Any:
    """Each run gives its arena memory back when it ends: the daemon's resident memory
    stays at the model's size between batches instead of the largest batch's peak."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


@functools.cache
def _libc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to trim
        return None


def _trim_heap() -> None:
    """Give the heap a large batch freed back to the system. glibc keeps freed memory in
    per-thread arenas (the daemon encodes in scheduler threads): without this the
    daemon's RSS sat 50-90 MB above its working size after each 512-text batch."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _cut(ids: list[int], limit: int) -> list[int]:
    """The truncation transformers applies to one sequence: [CLS] and the first tokens,
    then the closing [SEP]."""
    return ids if len(ids) <= limit else [*ids[: limit - 1], ids[-1]]


class Encoder:
    """The two networks and the tokenizer. Each text is read alone, in a pass of its own,
    on ``workers`` threads at once. The int8 networks scale their activations per pass,
    so in a batch a text's reading moved with the texts beside it (8 of 600 airline tone
    labels differed between batched and one-by-one reading, and a mention near a bar
    could be queued or not by the company it arrived in); alone it never moves. Two
    single-threaded workers read 300 texts/s on two cores, as length-sorted batches did."""

    def __init__(self, tokenizer: Any, encoder: Any, sentence: Any, *, workers: int = 1,
                 max_length: int = 64) -> None:
        self.tokenizer = tokenizer
        self.encoder, self.sentence = encoder, sentence  # ONNX sessions (encoder may be None)
        self.workers, self.max_length = max(1, workers), max_length
        self._options = _run_options()

    @classmethod
    def load(cls, model_dir: Path, *, max_length: int = 64, threads: int = 0,
             tone: bool = True) -> Encoder:
        """The serving files in ``model_dir``, read on ``threads`` workers (0: one per
        core); ``tone=False`` loads only the sentence network (the knowledge base and
        topics alone need no more)."""
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        try:
            # The two sessions are built side by side: ONNX Runtime releases the GIL
            # while it optimises a graph, so on 2 cores the start-up costs one, not two.
            with ThreadPoolExecutor(2) as pool:
                sentence_job = pool.submit(_session, model_dir / SENTENCE_FILE)
                encoder = _session(model_dir / ENCODER_FILE) if tone else None
                sentence = sentence_job.result()
            tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
            tokenizer.no_padding()
            tokenizer.no_truncation()
        except Exception as exc:  # onnxruntime and tokenizers raise their own kinds
            raise ModelError(f"cannot load the model files in {model_dir}: "
                             f"{str(exc).strip()[:200]}") from exc  # fmt: skip
        return cls(tokenizer, encoder, sentence, workers=threads or _cores(),
                   max_length=max_length)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, cut at the longer of the two networks' limits. Handles
        are read as written: varying them like the training texts' was measured worse on
        held-out brands' raw care traffic (docs/model.md, *Praise and real handles*)."""
        encodings = self.tokenizer.encode_batch([t if isinstance(t, str) else str(t)
                                                 for t in texts])  # fmt: skip
        limit = max(self.max_length, SENTENCE_MAX_LENGTH)
        return [_cut(e.ids, limit) for e in encodings]

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Tone logits, head features and the sentence vector of every text."""
        n = len(texts)
        out = Encoded(np.zeros((n, 3), np.float32), np.zeros((n, FEATURES), np.float32),
                      np.zeros((n, SENTENCE), np.float32))  # fmt: skip
        if not n:
            return out
        if self.encoder is None:
            raise ModelError("this encoder was loaded for sentence vectors only")
        ids = self.token_ids(texts)
        encoder = self.encoder

        def one(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            tone, features = encoder.run(["tone_logits", "features"],
                                         self._feed(ids[i], self.max_length), self._options)
            return tone[0], features[0], self._sentence(ids[i])

        for i, (tone, features, sentence) in enumerate(self._each(one, n)):
            out.tone_logits[i], out.features[i], out.sentence[i] = tone, features, sentence
        if n > TRIM_AFTER:
            _trim_heap()
        return out

    def sentences(self, texts: Sequence[str]) -> np.ndarray:
        """Only the sentence vectors (unit length, float32), in input order."""
        vectors = np.zeros((len(texts), SENTENCE), np.float32)
        if texts:
            ids = self.token_ids(texts)
            for i, vector in enumerate(self._each(lambda i: self._sentence(ids[i]),
                                                  len(texts))):
                vectors[i] = vector
            if len(texts) > TRIM_AFTER:
                _trim_heap()
        return vectors

    def _sentence(self, ids: list[int]) -> np.ndarray:
        (vectors,) = self.sentence.run(["sentence"], self._feed(ids, SENTENCE_MAX_LENGTH),
                                       self._options)
        return vectors[0]

    def _each(self, read: Callable[[int], _T], n: int) -> list[_T]:
        """``read`` of every row number, in order, on up to ``workers`` threads (ONNX
        Runtime releases the GIL while it runs, so they use the cores)."""
        if self.workers == 1 or n == 1:
            return [read(i) for i in range(n)]
        with ThreadPoolExecutor(min(self.workers, n)) as pool:
            return list(pool.map(read, range(n)))

    @staticmethod
    def _feed(ids: list[int], limit: int) -> dict[str, np.ndarray]:
        """One text's pass: its ids cut to the network's limit, no padding."""
        row = np.array([_cut(ids, limit)], dtype=np.int64)
        return {"input_ids": row, "attention_mask": np.ones_like(row)}


class NumpyHeads:
    """The triage heads' MLP in numpy: a few small matrix products per batch."""

    def __init__(self, names: tuple[str, ...], inputs: tuple[str, ...],
                 weights: dict[str, np.ndarray], metadata: dict[str, str] | None = None
                 ) -> None:
        self.names, self.inputs = names, inputs
        self.metadata = metadata or {}  # what the file was saved with (names, inputs...)
        self.hidden_w = weights["hidden.weight"].astype(np.float32).T.copy()
        self.hidden_b = weights["hidden.bias"].astype(np.float32)
        self.out_w = weights["out.weight"].astype(np.float32).T.copy()
        self.out_b = weights["out.bias"].astype(np.float32)

    @classmethod
    def load(cls, model_dir: Path, inputs: Sequence[str] | None = DEFAULT_HEAD_INPUTS,
             file: str = HEADS_FILE) -> NumpyHeads | None:
        """The heads stored in ``model_dir``'s ``file``, or None when it has none;
        ``inputs`` None reads them from the file's metadata (the tone head's)."""
        from safetensors.numpy import load_file

        path = Path(model_dir) / file
        if not path.is_file():
            return None
        meta = head_metadata(path)
        names = meta.get("names", "needs_reply,complaint,spam,sarcasm")
        if inputs is None:
            inputs = meta.get("inputs", "features,sentence").split(",")
        heads = cls(tuple(names.split(",")), tuple(inputs), load_file(str(path)), meta)
        width = sum({"features": FEATURES, "sentence": SENTENCE}.get(n, -1) for n in inputs)
        if heads.hidden_w.shape[0] != width or heads.out_w.shape[1] != len(heads.names):
            raise ModelError(f"{path} does not fit head_inputs {list(inputs)} "
                             f"(input width {heads.hidden_w.shape[0]}, expected {width})")
        return heads

    def __call__(self, encoded: Encoded) -> np.ndarray:
        """Head logits [n, k]."""
        hidden = gelu(encoded.select(self.inputs) @ self.hidden_w + self.hidden_b)
        return hidden @ self.out_w + self.out_b


def head_metadata(path: Path) -> dict[str, str]:
    """The string metadata a heads file was saved with (names, and for the tone head its
    inputs, blend weight and encoder)."""
    from safetensors import safe_open

    with safe_open(str(path), "np") as handle:
        return dict(handle.metadata() or {})


def blend_tone(tone_logits: np.ndarray, head_logits: np.ndarray, weight: float) -> np.ndarray:
    """Tone log-probabilities: the encoder's and the tone head's, averaged with ``weight``
    on the head (both [n, 3] in the same label order)."""
    return (1.0 - weight) * log_softmax(tone_logits) + weight * log_softmax(head_logits)


@dataclass(frozen=True)
class ToneHead:
    """The tone head as served: its MLP, the blend weight, and the column order that puts
    its LABELS-ordered outputs into the encoder's tone order."""

    mlp: NumpyHeads
    weight: float
    order: list[int]

    @classmethod
    def load(cls, directory: Path, labels: Sequence[str], encoder: str) -> ToneHead | None:
        """``directory``'s tone head, or None; a ModelError if it was fitted on the
        vectors of another encoder than ``encoder`` (an ``encoder_version``)."""
        path = Path(directory) / TONE_HEAD_FILE
        mlp = NumpyHeads.load(directory, None, TONE_HEAD_FILE)
        if mlp is None:
            return None
        meta = mlp.metadata
        if meta.get("made_from") != encoder:
            raise ModelError(f"{path} was fitted on another encoder's vectors; refit it "
                             "(`main.py model train --stages tone-head`) or remove it")
        if sorted(mlp.names) != sorted(LABELS):
            raise ModelError(f"{path}: its classes {list(mlp.names)} are not {list(LABELS)}")
        return cls(mlp, float(meta.get("weight", "1.0")),
                   [mlp.names.index(label) for label in labels])

    def __call__(self, encoded: Encoded) -> np.ndarray:
        """Served tone logits [n, 3] in the encoder's order."""
        return blend_tone(encoded.tone_logits, self.mlp(encoded)[:, self.order], self.weight)


_ALIASES = {
    "neg": "negative", "negative": "negative",
    "neu": "neutral", "neutral": "neutral",
    "pos": "positive", "positive": "positive",
}  # fmt: skip


def label_order(id2label: dict[int, str], label_map: dict[str, str], name: str) -> list[str]:
    """Our label for each of the model's output positions, or a ModelError."""
    order: list[str] = []
    for index in range(len(id2label)):
        raw = str(id2label.get(index, id2label.get(str(index), "")))  # type: ignore[call-overload]
        ours = label_map.get(raw) or _ALIASES.get(raw.strip().lower())
        order.append(ours or "")
    if sorted(order) != sorted(LABELS):
        shown = ", ".join(f"{i}={id2label[i]}" for i in sorted(id2label))
        raise ModelError(
            f"cannot map the labels of model {name!r} ({shown}) to negative/neutral/positive; "
            "set model.label_map, e.g. {\"LABEL_0\": \"negative\", ...}"
        )
    return order


def has_serving_files(model_dir: Path) -> bool:
    return all((Path(model_dir) / f).is_file()
               for f in (ENCODER_FILE, SENTENCE_FILE, TOKENIZER_FILE, MANIFEST))


class EncoderClassifier:
    """The ``Classifier`` the desk serves with: tone and every head from one pass, and the
    sentence vectors of the same pass handed to ``embedder`` (when given) so topics and
    drafting find them there."""

    quantized = True  # the shipped networks are int8
    onnx = True  # runs ONNX Runtime (benches and doctor report it)

    def __init__(self, encoder: Encoder, heads: NumpyHeads | None, *, name: str,
                 version: str, labels: list[str], thresholds: dict[str, float] | None = None,
                 embedder: Any = None, tone_head: ToneHead | None = None,
                 encoder_id: str = "") -> None:
        self.encoder, self.heads, self.tone_head = encoder, heads, tone_head
        self.name, self.version, self.labels = name, version, labels
        self.thresholds = dict(thresholds or {})
        self.head_names: tuple[str, ...] = heads.names if heads is not None else ()
        self.embedder = embedder  # a sentiment.embedding.Embedder sharing the networks
        self.encoder_id = encoder_id  # encoder_version of the folder the networks came from

    def reloaded(self, directory: Path, *, name: str) -> EncoderClassifier:
        """``directory``'s heads, tone head, thresholds and version over these same
        networks (what ``model adapt`` changes), as a new classifier: a reload swaps it in
        whole, so no batch reads one model's heads with another's bars. Raises
        ``ModelError`` for a folder exported from another encoder: serving that takes a
        restart."""
        model = _stored_model(Path(directory), name)
        if model.encoder_id != self.encoder_id:
            raise ModelError(f"{directory} holds another encoder than the one served: "
                             "restart the daemon to serve it")
        return EncoderClassifier(self.encoder, model.heads, name=name, version=model.version,
                                 labels=self.labels, thresholds=model.thresholds,
                                 embedder=self.embedder,
                                 tone_head=ToneHead.load(directory, self.labels,
                                                         self.encoder_id),
                                 encoder_id=self.encoder_id)  # fmt: skip

    @property
    def max_length(self) -> int:
        return self.encoder.max_length

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in input order. Raises ``ModelError``."""
        if not texts:
            return []
        try:
            encoded = self.encoder.encode(texts)
            tone = encoded.tone_logits if self.tone_head is None else self.tone_head(encoded)
            probs = softmax(tone).tolist()
            yes = (sigmoid(self.heads(encoded)).tolist() if self.heads is not None
                   else [[] for _ in texts])  # fmt: skip
        except ModelError:
            raise
        except Exception as exc:  # onnxruntime's and tokenizers' errors stop here
            raise ModelError(f"sentiment model {self.name!r} failed to classify: {exc}"
                             ) from exc  # fmt: skip
        if self.embedder is not None:
            self.embedder.remember(texts, encoded.sentence)
        return [self._prediction(row, head_row) for row, head_row in zip(probs, yes,
                                                                         strict=True)]

    def _prediction(self, probs: list[float], head_probs: list[float]) -> Prediction:
        scores = dict(zip(self.labels, probs, strict=True))
        best = max(scores, key=scores.__getitem__)
        heads = dict(zip(self.head_names, head_probs, strict=True)) if self.head_names else {}
        return Prediction(best, {k: scores[k] for k in LABELS}, heads)


def read_manifest(model_dir: Path) -> dict[str, Any]:
    return json.loads((Path(model_dir) / MANIFEST).read_text(encoding="utf-8"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def heads_sha256(path: Path) -> str:
    """A heads file's hash over its tensors and its metadata in sorted order: safetensors
    writes metadata keys in no fixed order, so hashing the bytes would give the same heads
    a new version on every save."""
    raw = Path(path).read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.dumps(json.loads(raw[8:8 + size]), sort_keys=True).encode()
    return hashlib.sha256(header + raw[8 + size:]).hexdigest()


def encoder_version(directory: Path) -> str:
    """12 hex digits naming the encoder alone (base and fine-tuned tensors): what an
    ``encoder.onnx`` was exported from, so serving can refuse a stale export."""
    manifest = read_manifest(directory)
    hashed = manifest["base_sha256"] + file_sha256(Path(directory) / WEIGHTS)
    return hashlib.sha256(hashed.encode()).hexdigest()[:12]


def directory_version(directory: Path) -> str:
    """12 hex digits naming a stored model: the base weights, the fine-tuned tensors,
    the heads, the tone head and the heads' thresholds (a model without one of these
    keeps the hash it had before it existed). The thresholds count because they decide
    as much as the weights: new bars with the same heads are another model in the
    stored triage rows."""
    manifest = read_manifest(directory)
    hashed = manifest["base_sha256"] + file_sha256(Path(directory) / WEIGHTS)
    for name in (HEADS_FILE, TONE_HEAD_FILE):
        if (Path(directory) / name).is_file():
            hashed += heads_sha256(Path(directory) / name)
    thresholds = (manifest.get("heads") or {}).get("thresholds")
    if thresholds:
        hashed += json.dumps(thresholds, sort_keys=True)
    return hashlib.sha256(hashed.encode()).hexdigest()[:12]


def load_serving(directory: Path, *, name: str, max_length: int = 64, threads: int = 0,
                 label_map: dict[str, str] | None = None) -> EncoderClassifier:
    """The classifier served from ``directory``'s ONNX files; no torch, no writes.
    Raises ``ModelError`` for missing, unreadable or stale files."""
    directory = Path(directory)
    model = _stored_model(directory, name)
    encoder = Encoder.load(directory, max_length=max_length, threads=threads)
    raw_labels = (model.manifest.get("serving") or {}).get("tone_labels") or list(LABELS)
    labels = label_order(dict(enumerate(raw_labels)), dict(label_map or {}), name)
    tone_head = ToneHead.load(directory, labels, model.encoder_id)
    return EncoderClassifier(encoder, model.heads, name=name, version=model.version,
                             labels=labels, thresholds=model.thresholds, tone_head=tone_head,
                             encoder_id=model.encoder_id)  # fmt: skip


@dataclass(frozen=True)
class _StoredModel:
    """What a model folder says beside its networks: read once for a load or a reload."""

    manifest: dict[str, Any]
    encoder_id: str
    version: str
    heads: NumpyHeads | None
    thresholds: dict[str, float]


def _stored_model(directory: Path, name: str) -> _StoredModel:
    """A folder's manifest, versions, heads and thresholds; ``ModelError`` for missing,
    unreadable or stale files (an export older than its weights is never served)."""
    try:
        manifest = read_manifest(directory)
        encoder_id = encoder_version(directory)
        if (manifest.get("serving") or {}).get("made_from") != encoder_id:
            raise ModelError(
                f"{directory / ENCODER_FILE} was exported from other weights than "
                f"{WEIGHTS}; run `main.py model export --model-dir {directory}`")
        version = directory_version(directory)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot load sentiment model {name!r}: files in {directory} are "
                         f"missing or unreadable ({exc})") from exc
    heads = NumpyHeads.load(directory, manifest.get("head_inputs") or DEFAULT_HEAD_INPUTS)
    thresholds = {k: float(v) for k, v in manifest.get("heads", {}).get("thresholds",
                                                                       {}).items()}
    return _StoredModel(manifest, encoder_id, version, heads, thresholds)
