"""Every mention the filters match, newest first: the read side of the mentions list,
where the dashboard's points lead.

Unlike the attention queue (drafts an agent must look at), this counts what the
rollups count: every stored mention, triaged or not, answered, praised or closed
without a reply, in the hour it was created. A mention the model has not seen yet
has topic "-" here as in the rollups.
"""

from __future__ import annotations

from typing import Any

from store import inbox, outcomes
from store.db import Store, decode

UNTRIAGED = "-"
# filter name -> the SQL it compares with (exact values)
COLUMNS: dict[str, str] = {
    "brand": "m.brand",
    "platform": "+m.platform",  # "+": the planner keeps to created_at, not (platform, id)
    "sentiment": "t.label",
    "topic": f"coalesce(nullif(t.topic, ''), '{UNTRIAGED}')",
    "status": "m.status",
    # "1": the mention needs a reply, as the rollups count it (triage says so and no
    # agent closed it without one); "0": it does not
    "needs_reply": "CAST((coalesce(t.needs_reply, 0) AND m.status != 'no_action') AS TEXT)",
    "triaged": "CAST(t.mention_id IS NOT NULL AS TEXT)",  # "1": the model has seen it
}
TRIAGE_FILTERS = ("sentiment", "topic", "needs_reply", "triaged")
FILTERS = (*COLUMNS, *inbox.NARROW, *outcomes.LISTING_FILTERS)
TRIAGED = " LEFT JOIN triage t ON t.mention_id = m.id"


def _where(filters: dict[str, str]) -> tuple[str, list[Any]]:
    keys = [k for k in COLUMNS if filters.get(k)]
    clauses, params = inbox.narrow(filters)
    judged, judged_params = outcomes.listing_clauses(filters)  # the outcome drill-down
    clauses = [*(f"{COLUMNS[k]} = ?" for k in keys), *clauses, *judged]
    return " AND ".join(clauses) or "1", [*(filters[k] for k in keys), *params,
                                          *judged_params]


def count(store: Store, filters: dict[str, str]) -> int:
    """How many mentions the filters match (the number a dashboard point shows);
    triage is joined only when a filter needs it, so a year's count reads one index."""
    where, params = _where(filters)
    join = TRIAGED if any(filters.get(k) for k in TRIAGE_FILTERS) else ""
    return store.query(f"SELECT count(*) AS n FROM mentions m{join} WHERE {where}",
                       params)[0]["n"]


def page(store: Store, filters: dict[str, str], *, limit: int, offset: int = 0,
         ) -> list[dict[str, Any]]:
    """One page of the matching mentions, newest first, with author and triage."""
    where, params = _where(filters)
    return [decode(r) for r in store.query(
        "SELECT m.id, m.created_at, m.brand, m.platform, m.text, m.url, m.status, m.flags,"
        " m.replied_at, m.redacted_at, a.handle, a.name, a.followers, t.label,"
        f" {COLUMNS['topic']} AS topic, t.complaint, t.needs_reply,"
        " EXISTS (SELECT 1 FROM drafts d WHERE d.mention_id = m.id) AS drafted"
        f" FROM mentions m JOIN authors a ON a.id = m.author_id{TRIAGED} WHERE {where}"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset])]
