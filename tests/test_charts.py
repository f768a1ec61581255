"""The hand-written SVG charts (well-formed, named, escaped, linked, gaps for no data)
and the dashboard's periods."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from metrics import period
from metrics.charts import PALETTE, TONE_COLOURS, bars, lines, nice_ticks

NS = {"s": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything not well-formed


def test_bars_are_named_labelled_escaped_and_linked():
    svg = bars("c1", "Complaints <by> topic", "desc & more", ["<script>", "billing"],
               [("negative", [3, 0]), ("positive", [1, 2])], x_label="topic",
               y_label="mentions", links=["/queue?topic=%3Cscript%3E", None])
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    assert root.find("s:title", NS).text == "Complaints <by> topic"
    assert root.find("s:desc", NS).text == "desc & more"
    texts = [t.text for t in root.iter(f"{{{NS['s']}}}text")]
    assert {"topic", "mentions", "<script>", "negative", "positive"} <= set(texts)
    rects = root.findall(".//s:rect", NS)
    fills = {r.get("fill") for r in rects}
    assert TONE_COLOURS["negative"] in fills and TONE_COLOURS["positive"] in fills
    # Three non-zero marks (+ two legend swatches); the first label's marks link away.
    marks = [r for r in rects if r.find("s:title", NS) is not None]
    assert len(marks) == 3
    assert [a.get("href") for a in root.findall("s:a", NS)] == ["/queue?topic=%3Cscript%3E"]
    # Stacked: the 4-mention column reaches the top tick (4).
    assert nice_ticks(4)[-1] == 4


def test_lines_leave_gaps_where_there_is_no_data_and_empty_charts_say_so():
    root = parse(lines("c2", "Net sentiment", "d", ["a", "b", "c", "d"],
                       [("net", [0.5, None, -0.2, 0.1])], x_label="day", y_label="net",
                       low=-1, high=1))
    polylines = root.findall("s:polyline", NS)
    assert len(polylines) == 1 and len(polylines[0].get("points").split()) == 2
    assert len(root.findall(".//s:circle", NS)) == 3
    assert polylines[0].get("stroke") == PALETTE[0]
    empty = parse(bars("c3", "Nothing", "d", ["a"], [("x", [0])], x_label="x", y_label="y"))
    assert "No data in this range" in [t.text for t in empty.iter(f"{{{NS['s']}}}text")]


def test_nice_ticks():
    assert nice_ticks(10) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(1, -1) == [-1, -0.5, 0, 0.5, 1]
    assert nice_ticks(0.37)[-1] >= 0.37


def test_periods():
    today = date(2026, 11, 23)
    week = period.parse(None, None, today)
    assert (week.start, week.end, week.grain, len(week.buckets())) == (
        date(2026, 11, 17), today, "day", 7)
    assert (week.previous().start, week.previous().end) == (date(2026, 11, 10),
                                                           date(2026, 11, 16))
    two = period.parse("2026-11-23", "2026-11-22", today)  # reversed ends are swapped
    assert (two.grain, two.bounds(), len(two.buckets())) == (
        "hour", ("2026-11-22T00", "2026-11-24T00"), 48)
    assert period.parse("garbage", "2026-11-23", today).days == 7
    assert period.parse("1990-01-01", "2026-11-23", today).days == period.MAX_DAYS
