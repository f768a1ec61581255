"""The marketing report: hourly rollups as a terminal table and as CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

COLUMNS = [
    ("hour", "hour (UTC)"), ("brand", "brand"), ("platform", "platform"),
    ("volume", "volume"), ("negative", "neg"), ("neutral", "neu"), ("positive", "pos"),
    ("net_sentiment", "net"), ("complaints", "complaints"), ("needs_reply", "to answer"),
    ("replies", "replies"), ("median_first_response_s", "median 1st resp"),
]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key == "median_first_response_s":
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes}m{seconds:02d}s"
    if key == "net_sentiment":
        return f"{value:+.2f}"
    return str(value)


def table(rows: list[dict[str, Any]]) -> str:
    header = [title for _, title in COLUMNS]
    body = [[_cell(k, row[k]) for k, _ in COLUMNS] for row in rows]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    if not rows:
        lines.append("(no mentions yet)")
    return "\n".join(lines)


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[k for k, _ in COLUMNS], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
