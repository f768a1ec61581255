"""The marketing report (`main.py report`): rollups per day or hour x brand x platform
as a terminal table, CSV or JSON (pure)."""

from __future__ import annotations

import json
from typing import Any

from core import csvfile
from metrics.summary import KPIS, formatted, kpis

# (key, heading in the terminal table); CSV and JSON use the keys.
COLUMNS: list[tuple[str, str]] = [
    ("period", "period (UTC)"), ("brand", "brand"), ("platform", "platform"),
    ("volume", "volume"), ("negative", "neg"), ("neutral", "neu"), ("positive", "pos"),
    ("net_sentiment", "net"), ("complaints", "complaints"), ("needs_reply", "to answer"),
    ("replies", "replies"), ("response_rate", "resp. rate"),
    ("frt_median_min", "median 1st resp (min)"), ("frt_p90_min", "p90 (min)"),
    ("sla_breaches", "SLA breaches"), ("approval_median_min", "approval (min)"),
    ("accepted_unedited", "unedited"), ("accepted_edited", "edited"), ("rejected", "rejected"),
    ("reach", "reach"),
]


def rows(aggregated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Report rows from rollups summed by (bucket, brand, platform)."""
    return [{"period": r["bucket"], "brand": r["brand"], "platform": r["platform"], **kpis(r)}
            for r in aggregated]


_KINDS = {key: kind for key, _, kind in KPIS}


def _cell(key: str, value: Any) -> str:
    return formatted(value, _KINDS[key]) if key in _KINDS else str(value)


def table(report: list[dict[str, Any]]) -> str:
    header = [title for _, title in COLUMNS]
    body = [[_cell(k, row[k]) for k, _ in COLUMNS] for row in report]
    widths = [max(len(x) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    if not report:
        lines.append("(no mentions in this range)")
    return "\n".join(lines)


def to_csv(report: list[dict[str, Any]]) -> str:
    return csvfile.write([k for k, _ in COLUMNS], ([row.get(k) for k, _ in COLUMNS]
                                                   for row in report))


def to_json(report: list[dict[str, Any]]) -> str:
    return json.dumps([{k: row[k] for k, _ in COLUMNS} for row in report], ensure_ascii=False,
                      indent=1)


FORMATS = {"table": table, "csv": to_csv, "json": to_json}
