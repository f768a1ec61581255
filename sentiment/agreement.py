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
from pathlib import Path

from sentiment.labels import CARE_COLUMNS, CARE_FILE

SEED = "agree-1"  # part of every row's hash: a new seed is a new, independent draw
SAMPLE_SIZE = 240
TWCS_SHARE = 200  # of SAMPLE_SIZE: real first contacts are what the desk sees most


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
    with the lowest draw keys. Reads only the source, id and text columns."""
    rows: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("source\t"):
            continue
        parts = line.split("\t")
        if len(parts) != len(CARE_COLUMNS):
            raise ValueError(f"{path}: a line without {len(CARE_COLUMNS)} columns")
        rows.append((parts[0], parts[2], parts[3]))
    want = quotas(Counter(r[0] for r in rows))
    rows.sort(key=lambda r: _draw_key(r[0], r[1]))
    taken: Counter[str] = Counter()
    out = []
    for row in rows:
        if taken[row[0]] < want.get(row[0], 0):
            taken[row[0]] += 1
            out.append(row)
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
