"""How far two labellers agree on the care labels: the ceiling a triage model is measured under.

Joins ``sentiment/labels/second_labels.tsv`` (a second labeller, blind to the first, on a
seeded sample of 240 rows: ``python -m sentiment.agreement draw``) with
``sentiment/labels/care_labels.tsv`` and prints, per answer, n, raw agreement, Cohen's
kappa and F1 / macro-F1 one labeller scores with the other as gold (tone: macro recall
both ways), for the TWCS first contacts (what the model's held-out-brand complaint
macro-F1 of 0.845 is measured on), the other sources and all; then the rows where the two
disagree on complaint, needs_reply and sarcasm, shortened, so a reader sees what kind they
are. ``twcs*`` is the TWCS rows the guide does not quote: six sampled texts are decided
in the guide's own tables, so both labellers had to agree on them. A figure printer, not a
test.

    python bench/label_agreement.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from sentiment.agreement import Pair, agreement, join  # noqa: E402
from sentiment.classifier import HEADS, LABELS  # noqa: E402

GROUPS = ("twcs", "twcs*", "other", "all")
SHOWN = ("complaint", "needs_reply", "sarcasm")  # disagreements printed row by row
GUIDE = ROOT / "docs" / "triage-guide.md"
OWN_SECTION = "## Agreement between two labellers"  # its examples are not the rules


def flat(text: str) -> str:
    return " ".join(text.split())


def guide_quotes() -> str:
    """The guide as the labellers read it (without the agreement section's examples)."""
    return GUIDE.read_text(encoding="utf-8").split(OWN_SECTION)[0]


def in_group(pair: Pair, group: str, guide: str) -> bool:
    if group == "all":
        return True
    if group == "twcs*":
        return pair.source == "twcs" and flat(pair.text)[:30] not in guide
    return (pair.source == "twcs") == (group == "twcs")


def short(text: str, width: int = 110) -> str:
    line = flat(text)
    return line if len(line) <= width else line[:width - 1] + "…"


def bootstrap(pairs: list[Pair], answer: str, rounds: int = 2000) -> tuple[float, float]:
    """A seeded 95 % interval of the macro-F1 over resampled rows: with a handful of
    disagreements in 200 rows, the point figure alone says too much."""
    rng = np.random.default_rng(0)
    scores = sorted(agreement([pairs[i] for i in rng.integers(0, len(pairs), len(pairs))],
                              answer)["macro_f1"] for _ in range(rounds))
    return scores[int(0.025 * rounds)], scores[int(0.975 * rounds) - 1]


def main() -> None:
    pairs = join()
    guide = guide_quotes()
    print(f"{len(pairs)} rows labelled twice: {dict(Counter(p.source for p in pairs))}\n")
    print(f"{'answer':<12}{'rows':<7}{'n':>5}{'agree':>8}{'kappa':>8}{'yes 1st/2nd':>13}"
          f"{'F1 2nd|1st':>12}{'F1 1st|2nd':>12}{'macro-F1':>10}")
    for answer in HEADS:
        for group in GROUPS:
            part = [p for p in pairs if in_group(p, group, guide)]
            r = agreement(part, answer)
            yes = f"{r['yes_first']}/{r['yes_second']}"
            # F1 of "yes" means nothing where neither labeller said yes.
            f1s = [f"{r[k]:.3f}" if r["yes_first"] + r["yes_second"] else "-"
                   for k in ("f1_second_vs_first", "f1_first_vs_second")]
            print(f"{answer:<12}{group:<7}{r['n']:>5}{r['agreement']:>8.3f}{r['kappa']:>8.3f}"
                  f"{yes:>13}{f1s[0]:>12}{f1s[1]:>12}{r['macro_f1']:>10.3f}")
    print(f"\n{'tone':<12}{'rows':<7}{'n':>5}{'agree':>8}{'kappa':>8}"
          f"{'macro recall 2nd|1st':>22}{'1st|2nd':>9}")
    for group in GROUPS:
        r = agreement([p for p in pairs if in_group(p, group, guide)], "tone")
        print(f"{'tone':<12}{group:<7}{r['n']:>5}{r['agreement']:>8.3f}{r['kappa']:>8.3f}"
              f"{r['macro_recall_second_vs_first']:>22.3f}"
              f"{r['macro_recall_first_vs_second']:>9.3f}")
    twcs = [p for p in pairs if p.source == "twcs"]
    for answer in ("needs_reply", "complaint"):
        low, high = bootstrap(twcs, answer)
        print(f"{answer} macro-F1 on TWCS, 95 % bootstrap interval: {low:.3f}-{high:.3f}")
    confusion = Counter((p.first["tone"], p.second["tone"]) for p in pairs)
    print("tone, first (rows) x second (columns): " + "; ".join(
        f"{a}: " + " ".join(str(confusion[(a, b)]) for b in LABELS) for a in LABELS))
    for answer in SHOWN:
        differ = [p for p in pairs if p.first[answer] != p.second[answer]]
        print(f"\n{answer}: {len(differ)} disagreements (first/second)")
        for p in differ:
            print(f"  {p.first[answer]}/{p.second[answer]}  [{p.source}] {short(p.text)}")


if __name__ == "__main__":
    main()
