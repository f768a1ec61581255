"""The tone head's training and measurement (``sentiment.train_tone``): a softmax fit on the
triage heads' machinery, classes balanced per source, its blend with the encoder's tone
weighted on other sources only, and the two sets the encoder never saw kept out of its
data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sentiment.train_data as train_data
from sentiment.classifier import LABELS
from sentiment.evaluate import airline_is_heldout
from sentiment.train_data import Row, bare, tone_rows
from sentiment.train_tone import (
    balanced_weights,
    by_source,
    choose_weight,
    format_tone,
    heldout_table,
    macro_recall,
    tone_dataset,
    train_tone_head,
    unit_scores,
    unseen,
)
from sentiment.train_wide import FitSettings, fit, holdouts, out_of_source
from tests.support import write_airline_csv

FAST = FitSettings(hidden=8, components=0, epochs=20, batch=64, dropout=0.0, lr=5e-3)


def _rows(rng: np.random.Generator, source: str, n: int, shift: float = 0.0
          ) -> tuple[list[Row], np.ndarray]:
    """Tone by x0: below -0.5 negative, above 0.5 positive, else neutral (``shift``
    moves the whole source, as a source with other habits would)."""
    x = rng.standard_normal((n, 4)).astype(np.float32)
    tone = np.where(x[:, 0] < -0.5, 0, np.where(x[:, 0] > 0.5, 2, 1))
    x[:, 0] += shift
    return [Row(source, source, f"{source} {i}", (-1, -1, -1, -1), LABELS[t])
            for i, t in enumerate(tone)], x


def test_a_softmax_fit_learns_three_classes_and_gives_probabilities():
    rows, x = _rows(np.random.default_rng(3), "alpha", 600)
    data = tone_dataset(rows, x)
    model = fit(data, FAST, output="softmax", names=LABELS)
    probs = model.probs(x)
    assert model.names == LABELS and model.output == "softmax"
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert macro_recall(data.targets.argmax(1), probs.argmax(1)) > 0.9
    # The sigmoid heads are unchanged: independent yes/no probabilities.
    assert fit(data, FAST).output == "sigmoid"


def test_classes_weigh_the_same_within_a_source_and_a_rare_class_is_capped():
    sources = ["a"] * 100 + ["b"] * 103
    tones = ["negative"] * 80 + ["neutral"] * 10 + ["positive"] * 10
    tones += ["negative"] * 100 + ["positive"] * 3
    w = balanced_weights(sources, tones, cap=5.0)
    src, tone = np.array(sources), np.array(tones)
    per_class = [w[(src == "a") & (tone == t)].sum() for t in LABELS]
    assert np.allclose(per_class, per_class[0])
    # b's three positives would each count 103/2/3 = 17 average rows: capped at 5 (its
    # negatives count 103/2/100 each).
    b_pos, b_neg = w[(src == "b") & (tone == "positive")], w[(src == "b") & (tone == "negative")]
    assert b_pos[0] / b_neg[0] == pytest.approx(5.0 / (103 / 200), rel=1e-4)


def test_the_blend_weight_for_a_source_is_chosen_without_it_nor_the_encoders_sources():
    rng = np.random.default_rng(5)
    rows, xs = [], []
    for source in ("alpha", "beta", "gamma", "airline"):
        r, x = _rows(rng, source, 300)
        rows += r
        xs.append(x)
    data = tone_dataset(rows, np.concatenate(xs))
    gold = data.targets.argmax(1)
    # An "encoder" that knows its own training source (airline: memory) and guesses
    # elsewhere: on alpha, beta and gamma the head is worth more than the encoder.
    encoder = rng.normal(0, 1, (len(rows), 3)).astype(np.float32)
    airline = np.array([r.source == "airline" for r in rows])
    encoder[airline] = 6.0 * np.eye(3, dtype=np.float32)[gold[airline]]
    probs = out_of_source(data, FAST, output="softmax")
    units = holdouts(data)
    names = [name for name, _ in units]
    scores = unit_scores(data, probs, encoder, units)
    # Chosen on airline alone, the encoder would win (weight 0); airline never counts.
    assert choose_weight(scores, np.array([n == "airline" for n in names])) == 0.0
    assert list(unseen(units)) == [n != "airline" for n in names]
    table = {r["source"]: r for r in by_source(data, probs, encoder)}
    for name in ("alpha", "beta", "gamma"):
        others = np.array([n not in (name, "airline") for n in names])
        assert table[name]["weight"] == choose_weight(scores, others) >= 0.5
        assert table[name]["blend"] > table[name]["encoder"] + 0.3
    # The head fitted on every row, on a set nobody trained on, against an "encoder"
    # that says negative for everything (macro recall 1/3).
    fresh, x = _rows(rng, "fresh", 300)
    model, weight = train_tone_head(data, probs, encoder, FAST)
    assert weight >= 0.5
    logits = np.tile(np.array([[5.0, 0.0, 0.0]], np.float32), (len(fresh), 1))
    heldout = heldout_table(model, weight, [("fresh set", [r.tone for r in fresh], x, logits)])
    assert heldout[0]["encoder"] == pytest.approx(1 / 3)
    assert heldout[0]["head"] > 0.8 and heldout[0]["blend"] > 0.8
    printed = format_tone(list(table.values()), heldout, ["features"], weight)
    assert "worst source (encoder): " in printed and "fresh set" in printed
    assert f"blended at weight {weight:.1f}" in printed


def test_tone_rows_leave_out_the_airline_held_out_share_and_tweeteval_val(tmp_path, monkeypatch):
    texts = [f"@united flight {i} was fine" for i in range(60)]
    held = [t for t in texts if airline_is_heldout(t)]
    assert held and len(held) < len(texts)
    data = tmp_path / "data"
    write_airline_csv(data, [{"text": t, "sentiment": "neutral"} for t in texts])
    tweeteval = data / "tweeteval-sentiment"
    tweeteval.mkdir()
    for split, lines in (("train", ["good day", "bad day"]), ("val", ["a val tweet"])):
        (tweeteval / f"{split}_text.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (tweeteval / f"{split}_labels.txt").write_text("2\n0\n"[:2 * len(lines)],
                                                      encoding="utf-8")  # fmt: skip
    # The hand labels include a held-out airline tweet and the TweetEval val one.
    labelled = [Row("airline", "airline", held[0], (1, 0, 0, 0), "neutral"),
                Row("tweeteval", "tweeteval", "a val tweet", (0, 0, 0, 0), "positive"),
                Row("sanders", "sanders", "love my phone", (0, 0, 0, -1), "positive"),
                Row("twcs", "twcs:acme", "no tone here", (1, -1, -1, -1))]
    monkeypatch.setattr(train_data, "all_rows", lambda *_args: labelled)
    rows = tone_rows(Path(data))
    seen = {bare(r.text) for r in rows}
    assert not seen & {bare(t) for t in [*held, "a val tweet"]}
    assert {r.source for r in rows} == {"airline", "tweeteval", "sanders"}
    assert len([r for r in rows if r.source == "airline"]) == len(texts) - len(held)
    assert all(r.tone in LABELS for r in rows)
