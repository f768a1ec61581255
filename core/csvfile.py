"""The one CSV writer for every CSV mentiondesk writes (dashboard exports, the report,
the audit log), so text that customers wrote cannot run as a spreadsheet formula.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
what Excel, LibreOffice and Google Sheets read as a formula (OWASP, "CSV Injection"):
such a cell is written with a leading ``'`` so it opens as the text it is. Numbers are
written as numbers (a negative net sentiment stays -0.25); ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a cell that a spreadsheet shows and never evaluates."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text of a header line and rows, every cell through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180: a CR in a cell is quoted
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()
