"""A second, blind labelling of part of the care labels, and the agreement between the two.

Every answer in ``sentiment/labels/care_labels.tsv`` is one labeller's, so nothing says how
far a model can get before it is arguing with people rather than with mistakes. This
module draws a fixed sample of those rows for a second labeller (``draw``: only source, id
and text are written, so the first answers stay unseen) and, once
``sentiment/labels/second_labels.tsv`` holds the second answers keyed by (source, id), joins
the two and measures them (Cohen's kappa, F1 one way and the other). Like
``care_sample`` it is a labeller's tool: nothing in the pipeline imports it.

    python -m sentiment.agreement draw /work/artifacts/agree/sample.tsv
    python bench/label_agreement.py                     # the figures
"""

from __future__ import annotations

import hashlib
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentiment.classifier import HEADS, LABELS
from sentiment.evaluate import DataError, binary_metrics, compute_metrics
from sentiment.labels import CARE_FILE, LABELS_DIR, care_examples, escape_field
from sentiment.train_wide import macro_f1

SEED = "agree-1"  # part of every row's hash: a new seed is a new, independent draw
SAMPLE_SIZE = 240
TWCS_SHARE = 200  # of SAMPLE_SIZE: real first contacts are what the desk sees most
SECOND_FILE = LABELS_DIR / "second_labels.tsv"
SECOND_COLUMNS = ("source", "id", *HEADS, "tone")


def _draw_key(source: str, row_id: str) -> str:
    """The row's place in the draw: SHA-1 of seed, source and id, so anyone re-draws it."""
    return hashlib.sha1(f"{SEED}\t{source}\t{row_id}".encode()).hexdigest()


def quotas(counts: dict[str, int], size: int = SAMPLE_SIZE, twcs: int = TWCS_SHARE
           ) -> dict[str, int]:
    """Rows to draw per source: ``twcs`` from TWCS, the rest split in proportion to the
    other sources' sizes (largest remainder, ties by name), so each set is represented."""
    others = {s: n for s, n in counts.items() if s != "twcs"}
    rest = size - twcs
    total = sum(others.values())
    exact = {s: rest * n / total for s, n in others.items()}
    share = {s: int(v) for s, v in exact.items()}
    for s in sorted(exact, key=lambda s: (-(exact[s] - share[s]), s))[:rest - sum(share.values())]:
        share[s] += 1
    return {"twcs": twcs, **share}


def draw(path: Path = CARE_FILE) -> list[tuple[str, str, str]]:
    """(source, id, escaped text) of the sampled rows, in draw order: per source, the rows
    with the lowest draw keys (``sentiment.labels.care_examples`` reads the file; only
    source, id and text come out, so the labeller never sees the first answers)."""
    rows = [(e.source, e.id, e.text) for e in care_examples(path)]
    want = quotas(Counter(r[0] for r in rows))
    rows.sort(key=lambda r: _draw_key(r[0], r[1]))
    taken: Counter[str] = Counter()
    out = []
    for source, row_id, text in rows:
        if taken[source] < want.get(source, 0):
            taken[source] += 1
            out.append((source, row_id, escape_field(text)))
    return out


@dataclass(frozen=True)
class Pair:
    """One row both labellers answered: the first (care_labels.tsv) and the second."""

    source: str
    id: str
    text: str
    first: dict[str, str]  # HEADS and "tone" -> "0"/"1" or a tone name
    second: dict[str, str]


def read_second(path: Path = SECOND_FILE) -> dict[tuple[str, str], dict[str, str]]:
    """(source, id) -> the second labeller's answers; a bad or repeated line is a DataError
    naming it, so a slip in the file cannot be measured as a disagreement."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("source\t"):
            continue
        parts = line.split("\t")
        answers = dict(zip(SECOND_COLUMNS[2:], parts[2:], strict=False))
        if len(parts) != len(SECOND_COLUMNS) or answers["tone"] not in LABELS \
                or any(answers[h] not in ("0", "1") for h in HEADS):
            raise DataError(f"{path}:{number}: expected source, id, four 0/1 answers and "
                            f"a tone in {LABELS}")
        if (parts[0], parts[1]) in found:
            raise DataError(f"{path}:{number}: {parts[0]} {parts[1]} labelled twice")
        found[(parts[0], parts[1])] = answers
    return found


def join(care: Path = CARE_FILE, second: Path = SECOND_FILE) -> list[Pair]:
    """Both labellers' answers for every row of ``second``; a key missing from the care
    labels is a DataError (the two files must describe the same rows)."""
    answers = read_second(second)
    pairs = []
    for e in care_examples(care):
        if (e.source, e.id) in answers:
            first = {**{h: str(e.answers[h]) for h in HEADS}, "tone": e.tone or ""}
            pairs.append(Pair(e.source, e.id, e.text, first, answers.pop((e.source, e.id))))
    if answers:
        raise DataError(f"{len(answers)} second labels (e.g. {next(iter(answers))}) are not "
                        f"in {care}")
    return pairs


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa: agreement beyond what two labellers with these label shares would
    reach by chance, (p_o - p_e) / (1 - p_e). Raw agreement flatters a skewed answer
    (87 % of care texts need a reply): kappa is what says whether people agree."""
    if len(a) != len(b) or not a:
        raise ValueError("two equally long, non-empty label lists are needed")
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    count_a, count_b = Counter(a), Counter(b)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(pairs: Sequence[Pair], answer: str) -> dict[str, float]:
    """n, raw agreement and kappa for one answer; for a yes/no answer also the F1 of yes
    and the macro-F1 (the model's complaint figure) scoring the second labeller against the
    first and back; for tone the macro recall both ways."""
    a = [p.first[answer] for p in pairs]
    b = [p.second[answer] for p in pairs]
    out = {"n": len(a), "agreement": sum(x == y for x, y in zip(a, b, strict=True)) / len(a),
           "kappa": cohen_kappa(a, b)}
    if answer == "tone":
        out["macro_recall_second_vs_first"] = compute_metrics(a, b).macro_recall
        out["macro_recall_first_vs_second"] = compute_metrics(b, a).macro_recall
        return out
    first, second = np.array(a) == "1", np.array(b) == "1"
    out["yes_first"], out["yes_second"] = int(first.sum()), int(second.sum())
    out["f1_second_vs_first"] = binary_metrics(answer, first, second, 0.5).f1
    out["f1_first_vs_second"] = binary_metrics(answer, second, first, 0.5).f1
    # macro-F1 is symmetric in which labeller is gold: one figure.
    out["macro_f1"] = macro_f1(first, second)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "draw":
        print(__doc__)
        return 2
    target = Path(argv[1])
    target.parent.mkdir(parents=True, exist_ok=True)
    sample = draw()
    target.write_text("".join(f"{i}\t{s}\t{r}\t{t}\n" for i, (s, r, t) in enumerate(sample)),
                      encoding="utf-8")
    print(f"{len(sample)} rows -> {target}: {dict(Counter(s for s, _, _ in sample))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
