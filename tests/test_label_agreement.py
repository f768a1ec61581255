"""The second labeller's file describes the drawn care rows, and the agreement arithmetic is right.

The shipped ``second_labels.tsv`` is read as it is: these tests fail if a row's key is not
in ``care_labels.tsv``, an answer is not a valid value, or the file stops being the seeded
draw (then the figures in docs/triage-guide.md would describe other rows).
"""

from __future__ import annotations

import pytest

from sentiment.agreement import (
    SAMPLE_SIZE,
    TWCS_SHARE,
    Pair,
    agreement,
    cohen_kappa,
    draw,
    join,
    quotas,
    read_second,
)
from sentiment.classifier import HEADS, LABELS
from sentiment.evaluate import DataError
from sentiment.labels import CARE_COLUMNS

CARE_HEADER = "\t".join(CARE_COLUMNS) + "\n"
SECOND_HEADER = "source\tid\tneeds_reply\tcomplaint\tspam\tsarcasm\ttone\n"


def test_the_shipped_second_labels_are_the_seeded_draw_and_valid():
    second = read_second()
    assert len(second) == SAMPLE_SIZE
    assert all(set(a) == {*HEADS, "tone"} and a["tone"] in LABELS
               and all(a[h] in ("0", "1") for h in HEADS) for a in second.values())
    assert set(second) == {(source, row_id) for source, row_id, _ in draw()}
    pairs = join()  # raises if a key is missing from care_labels.tsv
    assert len(pairs) == SAMPLE_SIZE
    assert sum(p.source == "twcs" for p in pairs) == TWCS_SHARE


def test_kappa_on_a_hand_computed_case():
    # 10 rows, 3 yes each, 8 agree: p_o = 0.8, p_e = 0.3*0.3 + 0.7*0.7 = 0.58,
    # kappa = (0.8 - 0.58) / (1 - 0.58) = 0.22 / 0.42.
    a = list("1110000000")
    b = list("1101000000")
    assert cohen_kappa(a, b) == pytest.approx(0.22 / 0.42)
    # Three classes: p_o = 4/6; shares a = (3, 2, 1), b = (2, 2, 2) -> p_e = 12/36.
    a3 = ["n", "n", "n", "0", "0", "p"]
    b3 = ["n", "n", "0", "0", "p", "p"]
    assert cohen_kappa(a3, b3) == pytest.approx((4 / 6 - 1 / 3) / (1 - 1 / 3))
    assert cohen_kappa(list("0101"), list("1010")) == pytest.approx(-1.0)
    assert cohen_kappa(list("000"), list("000")) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["1"], ["1", "0"])


def test_agreement_scores_each_labeller_against_the_other():
    def pair(first: str, second: str, tone: tuple[str, str]) -> Pair:
        answers = [dict(zip(HEADS, "0000", strict=True)) for _ in range(2)]
        answers[0]["complaint"], answers[1]["complaint"] = first, second
        answers[0]["tone"], answers[1]["tone"] = tone
        return Pair("twcs", "1", "t", answers[0], answers[1])

    pairs = [pair("1", "1", ("negative", "negative")), pair("1", "0", ("negative", "neutral")),
             pair("0", "0", ("neutral", "neutral")), pair("0", "0", ("positive", "positive"))]
    r = agreement(pairs, "complaint")
    assert (r["n"], r["agreement"], r["yes_first"], r["yes_second"]) == (4, 0.75, 2, 1)
    # second vs first: precision 1, recall 1/2 -> F1 2/3; yes and no both ways the same.
    assert r["f1_second_vs_first"] == pytest.approx(2 / 3)
    assert r["f1_first_vs_second"] == pytest.approx(2 / 3)
    assert r["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)
    tone = agreement(pairs, "tone")
    assert tone["macro_recall_second_vs_first"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert tone["macro_recall_first_vs_second"] == pytest.approx((1 + 0.5 + 1) / 3)


def test_quotas_fill_the_sample_in_proportion():
    want = quotas({"twcs": 1000, "a": 300, "b": 100, "c": 100})
    assert want == {"twcs": 200, "a": 24, "b": 8, "c": 8}
    assert sum(quotas({"twcs": 5, "x": 7, "y": 7, "z": 7}).values()) == SAMPLE_SIZE


def test_a_bad_second_line_or_an_unknown_key_is_refused(tmp_path):
    care = tmp_path / "care.tsv"
    care.write_text(CARE_HEADER + "twcs\tAcme\t1\thi\t1\t1\t0\t0\tnegative\tgeneral\t0\n",
                    encoding="utf-8")
    second = tmp_path / "second.tsv"
    second.write_text(SECOND_HEADER + "twcs\t1\t1\t0\t0\t0\tangry\n", encoding="utf-8")
    with pytest.raises(DataError, match=":2:"):
        read_second(second)
    second.write_text(SECOND_HEADER + "twcs\t1\t1\t0\t0\t0\tneutral\n" * 2, encoding="utf-8")
    with pytest.raises(DataError, match="twice"):
        read_second(second)
    second.write_text(SECOND_HEADER + "twcs\t2\t1\t0\t0\t0\tneutral\n", encoding="utf-8")
    with pytest.raises(DataError, match="not in"):
        join(care, second)
    second.write_text(SECOND_HEADER + "twcs\t1\t1\t0\t0\t0\tneutral\n", encoding="utf-8")
    [p] = join(care, second)
    assert (p.text, p.first["complaint"], p.second["complaint"], p.second["tone"]) == (
        "hi", "1", "0", "neutral")
