"""The dashboard's tables as data (metrics/dashboard.py, pure): what the page shows and
what its CSV/JSON exports carry."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

from metrics import dashboard


def _summary() -> dashboard.Table:
    """12 mentions against 10 (+20 %), a negative share of 25 % against 50 %."""
    now = defaultdict(int, volume=12, negative=3, neutral=3, positive=6, needs_reply=4,
                      answered=4, replies=4)
    before = defaultdict(int, volume=10, negative=5, neutral=3, positive=2, needs_reply=2,
                         answered=1, replies=0)
    return dashboard._summary(now, before)


def test_the_summary_exports_its_change_as_numbers_in_columns_that_name_the_unit():
    """The export's "change" column held the page's text ("+20%", "-25.0 pts"): a
    spreadsheet could not sum or sort it, and one column mixed a relative change with
    a difference in points. Now counts and minutes change in ``relative_change`` (a
    fraction of the previous value), shares and scores in ``difference`` (this period
    minus the previous, in the row's own unit), each a number."""
    table = _summary()
    exported = {r["metric"]: r for r in csv.DictReader(io.StringIO(table.to_csv()))}
    assert list(next(iter(exported.values()))) == [
        "metric", "current", "previous", "relative_change", "difference"]
    assert (exported["Mentions"]["relative_change"], exported["Mentions"]["difference"]) == (
        "0.2", "")
    assert (exported["Negative share"]["relative_change"],
            exported["Negative share"]["difference"]) == ("", "-0.25")
    assert exported["Net sentiment"]["difference"] == "0.55"  # +0.25 against -0.30
    assert exported["Replies"]["relative_change"] == ""  # nothing to compare 4 with
    assert not any("%" in v or "pts" in v for r in exported.values()
                   for k, v in r.items() if k != "metric")
    rows = {r["metric"]: r for r in json.loads(table.to_json())["rows"]}
    assert rows["Mentions"]["relative_change"] == 0.2
    assert rows["Negative share"]["difference"] == -0.25
    assert rows["Mentions"]["difference"] is None


def test_the_summary_page_keeps_one_human_change_column():
    """The page shows one "change" column in each row's own way; the export's two number
    columns stay out of it (two half-empty columns pushed the table past a phone's width)."""
    table = _summary()
    assert [k for k, _ in table.page_columns] == ["metric", "current", "previous", "change"]
    shown = {r["metric"]: [table.cell(r, k) for k, _ in table.page_columns] for r in table.rows}
    assert shown["Mentions"][1:] == ["12", "10", "+20%"]
    assert shown["Negative share"][1:] == ["25.0 %", "50.0 %", "-25.0 pts"]
    assert shown["Net sentiment"][3:] == ["+0.55"]
    assert shown["Replies"][3:] == ["no data"]
