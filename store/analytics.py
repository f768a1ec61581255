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
DIMENSIONS = ("brand", "platform", "topic")  # what both grains are split by
_KEYS = {"hour", "day", "lang", *DIMENSIONS}


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


def aggregate(store: Store, scope: Scope, by: tuple[str, ...] = (),
              columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Sums of ``columns`` (default: every rollup column) over ``scope``, one row per
    value of ``by`` ("bucket" and DIMENSIONS; "lang" for hours only), ordered by it."""
    table = TABLES[scope.grain][0]
    group = [scope.grain if b == "bucket" else b for b in by]
    if unknown := set(group) - _KEYS:
        raise ValueError(f"cannot group by {sorted(unknown)}")
    where, params = scope.where()
    select = [f"{g} AS {b}" for g, b in zip(group, by, strict=True)]
    select += [f"coalesce(sum({c}), 0) AS {c}" for c in columns or sum_columns(store)]
    sql = f"SELECT {', '.join(select)} FROM {table} WHERE {where}"
    if group:
        sql += f" GROUP BY {', '.join(group)} ORDER BY {', '.join(group)}"
    return store.query(sql, params)


def top_authors(store: Store, scope: Scope, limit: int = 10) -> list[dict[str, Any]]:
    """Authors with the most followers (karma) who mentioned the brand in ``scope``,
    with their mentions there (counted where they ranked among a cell's kept top).

    Read from the widest reach down until ``limit`` authors are found, so a year
    costs about what a week does.
    """
    table = TABLES[scope.grain][1]
    where, params = scope.where()
    hint = " INDEXED BY rollup_daily_authors_reach" if scope.grain == "day" else ""
    found: dict[tuple[str, str], int] = {}
    with store.reading() as db:
        cursor = db.execute(f"SELECT platform, handle, followers FROM {table}{hint}"
                            f" WHERE {where} ORDER BY followers DESC", params)
        for platform, handle, followers in cursor:
            found.setdefault((platform, handle), followers)
            if len(found) == limit:
                break
        cursor.close()
    if not found:
        return []
    handles = sorted({h for _, h in found})
    counts = {(r["platform"], r["handle"]): r["mentions"] for r in store.query(
        f"SELECT platform, handle, sum(mentions) AS mentions FROM {table} WHERE {where}"
        f" AND handle IN ({', '.join('?' for _ in handles)}) GROUP BY platform, handle",
        [*params, *handles])}
    return [{"platform": p, "handle": h, "followers": f, "mentions": counts.get((p, h), 0)}
            for (p, h), f in sorted(found.items(), key=lambda kv: (-kv[1], kv[0][1]))]


def values(store: Store, dimension: str) -> list[str]:
    """Every value a dimension has taken, for the filter menus."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    return [r["v"] for r in store.query(
        f"SELECT DISTINCT {dimension} AS v FROM rollup_daily ORDER BY v")]


def ready(store: Store) -> bool:
    """Whether the file has the rollup tables (migration m008)."""
    return bool(store.query("SELECT 1 FROM sqlite_master WHERE name = 'rollup_daily'"))


def first_day(store: Store, brand: str) -> str | None:
    """The first day this brand has any rollup for (the spike baseline's horizon)."""
    return store.query("SELECT min(day) AS d FROM rollup_daily WHERE brand = ?",
                       [brand])[0]["d"]


def first_hour(store: Store, brand: str) -> str | None:
    """The first hour ("YYYY-MM-DDTHH", UTC) this brand has any rollup for (a digest's
    day must not end before it)."""
    return store.query("SELECT min(hour) AS h FROM rollup_hourly WHERE brand = ?",
                       [brand])[0]["h"]


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
