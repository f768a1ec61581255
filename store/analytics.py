"""The rollup tables' read side: sums over a range, grouped as the caller asks.

Every dashboard chart, the report, the digest and the spike check read through
``aggregate`` and ``top_authors``; none of them touches raw mentions except for
examples (which may have been purged). Ranges are half-open, ``[since, until)``, in
the grain's own text form: "YYYY-MM-DD" for days, "YYYY-MM-DDTHH" for hours (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from store.db import Store

Grain = Literal["hour", "day"]
TABLES = {"hour": ("rollup_hourly", "rollup_authors"),
          "day": ("rollup_daily", "rollup_daily_authors")}
DIMENSIONS = ("brand", "platform", "topic", "lang")
_KEYS = {"hour", "day", *DIMENSIONS}


@dataclass(frozen=True)
class Scope:
    """What to read: a range of buckets and optional exact filters ('' = all)."""

    grain: Grain
    since: str
    until: str
    brand: str = ""
    platform: str = ""
    topic: str = ""

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = [f"{self.grain} >= ?", f"{self.grain} < ?"], [self.since, self.until]
        for name in ("brand", "platform", "topic"):
            if value := getattr(self, name):
                clauses.append(f"{name} = ?")
                params.append(value)
        return " AND ".join(clauses), params


_columns: dict[str, list[str]] = {}


def sum_columns(store: Store) -> list[str]:
    """The summable columns (the daily table holds exactly those)."""
    if "day" not in _columns:
        with store.reading() as db:
            _columns["day"] = [c.name for c in db["rollup_daily"].columns
                               if c.name not in _KEYS]
    return _columns["day"]


def aggregate(store: Store, scope: Scope, by: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Sums of every rollup column over ``scope``, one row per value of ``by`` (which
    may name "bucket" and any of DIMENSIONS); ordered by ``by``."""
    table = TABLES[scope.grain][0]
    group = [scope.grain if b == "bucket" else b for b in by]
    if unknown := set(group) - _KEYS:
        raise ValueError(f"cannot group by {sorted(unknown)}")
    where, params = scope.where()
    select = [f"{g} AS {b}" for g, b in zip(group, by, strict=True)]
    select += [f"coalesce(sum({c}), 0) AS {c}" for c in sum_columns(store)]
    sql = f"SELECT {', '.join(select)} FROM {table} WHERE {where}"
    if group:
        sql += f" GROUP BY {', '.join(group)} ORDER BY {', '.join(group)}"
    return store.query(sql, params)


def top_authors(store: Store, scope: Scope, limit: int = 10) -> list[dict[str, Any]]:
    """Authors with the most followers (karma) who mentioned the brand in ``scope``;
    ``mentions`` counts their mentions in cells where they ranked in the kept top."""
    table = TABLES[scope.grain][1]
    where, params = scope.where()
    return store.query(
        f"SELECT platform, handle, max(followers) AS followers, sum(mentions) AS mentions,"
        f" group_concat(DISTINCT brand) AS brands FROM {table} WHERE {where}"
        f" GROUP BY platform, handle ORDER BY followers DESC, handle LIMIT ?",
        [*params, limit])


def values(store: Store, dimension: str) -> list[str]:
    """Every value a dimension has taken, for the filter menus."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    return [r["v"] for r in store.query(
        f"SELECT DISTINCT {dimension} AS v FROM rollup_daily ORDER BY v")]


def ready(store: Store) -> bool:
    """Whether the file has the rollup tables (migration m008)."""
    return bool(store.query("SELECT 1 FROM sqlite_master WHERE name = 'rollup_daily'"))


def first_bucket(store: Store, brand: str) -> str | None:
    """The first hour this brand has any rollup for (the spike baseline's horizon)."""
    row = store.query("SELECT min(hour) AS h FROM rollup_hourly WHERE brand = ?", [brand])
    return row[0]["h"] if row else None


def examples(store: Store, brand: str, since: str, until: str, label: str = "",
             limit: int = 3) -> list[dict[str, Any]]:
    """Raw mentions created in [since, until) (ISO texts), widest reach first; empty
    once retention has purged them."""
    return store.query(
        "SELECT m.id, m.platform, m.text, m.url, m.created_at, a.handle, a.followers, t.label,"
        " t.topic FROM mentions m JOIN authors a ON a.id = m.author_id"
        " JOIN triage t ON t.mention_id = m.id"
        " WHERE m.brand = ? AND m.created_at >= ? AND m.created_at < ? AND (? = '' OR t.label = ?)"
        " ORDER BY a.followers DESC, m.id LIMIT ?",
        [brand, since, until, label, label, limit])


def open_items(store: Store, brand: str, limit: int = 5) -> list[dict[str, Any]]:
    """Drafts still waiting for an agent, most urgent first (as the inbox orders them)."""
    return store.query(
        "SELECT m.id, m.platform, m.text, m.url, m.created_at, a.handle, a.followers, t.label,"
        " t.topic, t.priority FROM drafts d JOIN mentions m ON m.id = d.mention_id"
        " JOIN authors a ON a.id = m.author_id JOIN triage t ON t.mention_id = m.id"
        " WHERE d.status = 'pending' AND m.brand = ?"
        " ORDER BY t.optional, t.priority DESC, m.created_at LIMIT ?", [brand, limit])
