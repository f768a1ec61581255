"""Hourly rollups and the report."""

from __future__ import annotations

from metrics.report import table, to_csv
from metrics.rollup import rollup


def fact(hour="2026-11-23T09", label="negative", complaint=1, needs=1, response=None):
    return {"hour": hour, "brand": "Lumora", "platform": "x", "label": label,
            "complaint": complaint, "needs_reply": needs, "first_response_s": response}


def test_rollup_counts_sentiment_complaints_and_median_response():
    rows = rollup([fact(response=60), fact(response=300), fact(response=120),
                   fact(label="positive", complaint=0, needs=0),
                   fact(hour="2026-11-23T10", label=None, complaint=0, needs=0)])
    first, second = rows
    assert (first.volume, first.negative, first.positive, first.complaints) == (4, 3, 1, 3)
    assert first.net_sentiment == -0.5
    assert (first.replies, first.median_first_response_s) == (3, 120)
    assert (second.volume, second.net_sentiment, second.median_first_response_s) == (1, 0.0,
                                                                                     None)


def test_report_table_and_csv():
    rows = [r.as_row() for r in rollup([fact(response=125)])]
    text = table(rows)
    assert "2026-11-23T09" in text and "2m05s" in text and "-1.00" in text
    assert to_csv(rows).splitlines()[0].startswith("hour,brand,platform,volume")
