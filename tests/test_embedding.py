"""The sentence encoder: the shipped int8 ONNX network, offline, mean-pooled and
normalised."""

from __future__ import annotations

import numpy as np

from sentiment.embedding import DIMENSIONS


def test_vectors_are_unit_length_and_meaning_beats_words(embedder):
    texts = ["How do I reset my password?", "I forgot my login, how can I get back in?",
             "My parcel never arrived", "How do I reset my bulb to factory settings?"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (4, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > sims[0, 2] + 0.2  # a paraphrase is near, another matter far
    assert embedder.similarity(texts[0], texts[0]) > 0.999


def test_batching_and_padding_do_not_change_a_vector(embedder):
    """int8 activations are scaled per batch tensor, so a neighbour moves a vector a
    little (fp32 torch: > 0.9999); not enough to change which text is nearest."""
    short = "lights flicker"
    alone = embedder.embed([short])[0]
    embedder._cache.clear()
    padded = embedder.embed(["a much longer sentence about a hub that will not pair with "
                             "the app after the latest firmware update", short])[1]
    assert float(alone @ padded) > 0.95
    others = embedder.embed(["my bulbs blink on and off", "my parcel is late",
                             "reset my password please"])
    assert int(np.argmax(others @ alone)) == int(np.argmax(others @ padded)) == 0


def test_each_text_is_encoded_once(embedder, monkeypatch):
    encoded: list[str] = []
    real = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda batch: (encoded.extend(batch),
                                                           real(batch))[1])
    embedder.embed(["first text here", "second one", "first text here"])
    embedder.embed(["second one", "third"])
    assert encoded == ["first text here", "second one", "third"]
