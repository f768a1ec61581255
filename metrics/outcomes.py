"""Did our replies help: resolution, first-contact resolution, predicted CSAT and the
net sentiment change, overall and per topic, template, agent and platform.

Every figure counts conversations (one row of ``conversation_outcomes``), dated by
their first answered mention's creation, so the drill-down to /mentions (the same
range on ``created_at``, narrowed with ``outcome=any``) lists exactly a rate's
denominator. Satisfaction is a *prediction* from the customer's words, never a survey
result: every label built here says so.

- resolution rate = resolved / conversations with an outcome (no_answer included: a
  customer who went silent was not shown to be helped);
- first-contact resolution = resolved after one reply of ours / the same denominator;
- predicted CSAT = satisfied / conversations whose customer wrote after our reply (the
  only ones with a prediction); mean predicted score on the 1-5 scale;
- net sentiment change = mean of (valence of the customer's last words - valence of
  their first message), -2..+2, over conversations that have both.

    kpis = outcome_kpis(store, period, {"brand": "Acme"})   # for dashboard tiles
    kpis.resolution_rate, kpis.csat_share, kpis.as_dict()
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from core import csvfile
from core.clock import to_iso
from metrics.dashboard import NO_DATA, Table
from metrics.period import Period
from store import outcomes as outcome_store
from store.db import Store

PREDICTED = "predicted"  # the word every satisfaction label carries
BREAKDOWNS = ("topic", "template", "agent", "platform")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class OutcomeKpis:
    """Counts and the rates built from them; a rate is None when its denominator is 0."""

    conversations: int = 0  # with an outcome: resolution and FCR denominator
    resolved: int = 0
    open: int = 0
    escalated: int = 0
    no_answer: int = 0
    first_contact: int = 0  # resolved after one reply
    rated: int = 0  # with a predicted satisfaction: predicted-CSAT denominator
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0
    score_sum: float = 0.0
    changes: int = 0  # with a net sentiment change
    change_sum: float = 0.0

    @property
    def resolution_rate(self) -> float | None:
        return _share(self.resolved, self.conversations)

    @property
    def first_contact_rate(self) -> float | None:
        return _share(self.first_contact, self.conversations)

    @property
    def csat_share(self) -> float | None:
        """Predicted CSAT: the share of rated conversations predicted satisfied."""
        return _share(self.satisfied, self.rated)

    @property
    def csat_mean(self) -> float | None:
        """Mean predicted satisfaction score, 1 (dissatisfied) to 5 (satisfied)."""
        return round(self.score_sum / self.rated, 3) if self.rated else None

    @property
    def net_sentiment_change(self) -> float | None:
        return round(self.change_sum / self.changes, 3) if self.changes else None

    def as_dict(self) -> dict[str, Any]:
        """Counts, rates and their sample sizes, with the predicted figures named so."""
        return {
            "conversations": self.conversations, "resolved": self.resolved,
            "open": self.open, "escalated": self.escalated, "no_answer": self.no_answer,
            "resolution_rate": self.resolution_rate, "first_contact": self.first_contact,
            "first_contact_rate": self.first_contact_rate,
            "predicted_csat_n": self.rated, "predicted_satisfied": self.satisfied,
            "predicted_neutral": self.neutral, "predicted_dissatisfied": self.dissatisfied,
            "predicted_csat_share": self.csat_share,
            "predicted_csat_mean": self.csat_mean,
            "net_sentiment_change_n": self.changes,
            "net_sentiment_change": self.net_sentiment_change,
        }


def summarise(rows: Iterable[dict[str, Any]]) -> OutcomeKpis:
    """The figures of some ``store.outcomes.facts`` rows (pure)."""
    counts: dict[str, Any] = {k: 0 for k in (
        "conversations", "resolved", "open", "escalated", "no_answer", "first_contact",
        "rated", "satisfied", "neutral", "dissatisfied", "changes")}
    score_sum = change_sum = 0.0
    for row in rows:
        counts["conversations"] += 1
        counts[row["outcome"]] += 1
        if row["outcome"] == "resolved" and row["replies"] == 1:
            counts["first_contact"] += 1
        if row["satisfaction"]:
            counts["rated"] += 1
            counts[row["satisfaction"]] += 1
            score_sum += float(row["satisfaction_score"] or 0.0)
        if row["sentiment_change"] is not None:
            counts["changes"] += 1
            change_sum += float(row["sentiment_change"])
    return OutcomeKpis(**counts, score_sum=score_sum, change_sum=change_sum)


def breakdown(rows: Iterable[dict[str, Any]], by: str) -> list[tuple[str, OutcomeKpis]]:
    """Figures per value of ``by`` (topic, template, agent, platform), largest first:
    "which replies actually resolve", each with its sample size."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row[by] or "-"), []).append(row)
    table = [(key, summarise(group)) for key, group in groups.items()]
    return sorted(table, key=lambda kv: (-kv[1].conversations, kv[0]))


def bounds(period: Period) -> tuple[str, str]:
    """[since, until) of a period as stored creation times (what /mentions compares)."""
    start = datetime.combine(period.start, time.min, UTC)
    return to_iso(start), to_iso(start + timedelta(days=period.days))


def facts(store: Store, period: Period, filters: dict[str, str] | None = None
          ) -> list[dict[str, Any]]:
    return outcome_store.facts(store, *bounds(period), filters)


def outcome_kpis(store: Store, period: Period, filters: dict[str, str] | None = None
                 ) -> OutcomeKpis:
    """The headline outcome figures of a period (brand/platform/topic/template/agent
    filters): what dashboard tiles, the report and the digest show."""
    return summarise(facts(store, period, filters))


def percent(value: float | None) -> str:
    return shown(None if value is None else 100 * value, "{:.1f}%")


def shown(value: float | None, form: str = "{:.2f}") -> str:
    """A figure for the terminal and the digest: ``form`` filled in, or "no data" when
    the figure has no sample (never "-", which read as a zero or a missing column)."""
    return NO_DATA if value is None else form.format(value)


def lines(kpis: OutcomeKpis) -> list[str]:
    """The figures as short text lines (report, digest), predicted figures named so;
    "no data" where a figure has no sample (as on the dashboard)."""
    n = kpis.conversations
    change = kpis.net_sentiment_change
    mean = kpis.csat_mean
    csat = (NO_DATA if mean is None else f"{percent(kpis.csat_share)} satisfied, mean "
            f"predicted score {mean:.2f}/5")
    return [
        f"Conversations with an outcome: {n} (resolved {kpis.resolved}, open {kpis.open}, "
        f"escalated {kpis.escalated}, no answer {kpis.no_answer})",
        f"Resolution rate: {percent(kpis.resolution_rate)} (n={n})",
        f"First-contact resolution: {percent(kpis.first_contact_rate)} (n={n})",
        f"Predicted CSAT ({PREDICTED} from the customer's words, not a survey): "
        f"{csat} (n={kpis.rated})",
        f"Net sentiment change: {shown(change, '{:+.2f}')} (n={kpis.changes})",
    ]


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The headline figures and every breakdown of some fact rows, as plain data
    (`main.py report --outcomes --format json`)."""
    return {"overall": summarise(rows).as_dict(),
            **{f"by_{by}": [{by: key, **k.as_dict()} for key, k in breakdown(rows, by)]
               for by in BREAKDOWNS}}


def to_csv(rows: list[dict[str, Any]]) -> str:
    """``report`` as one flat table of numbers (`report --outcomes --format csv`): the
    overall row, then a row per topic, template, agent and platform, named in the
    ``breakdown`` and ``value`` columns."""
    data = report(rows)
    flat = [{"breakdown": "overall", "value": "", **data["overall"]}]
    for by in BREAKDOWNS:
        flat += [{"breakdown": by, "value": r[by], **{k: v for k, v in r.items() if k != by}}
                 for r in data[f"by_{by}"]]
    return csvfile.write(list(flat[0]), (list(r.values()) for r in flat))


def table(rows: list[dict[str, Any]]) -> str:
    """The report's outcomes section: headline lines, then per topic, template, agent
    and platform the sample size beside each rate."""
    out = ["Did our replies help? (conversations by their first answered mention)",
           *lines(summarise(rows))]
    for by in BREAKDOWNS:
        out += ["", f"{'per ' + by:<24} {'n':>5} {'resolved':>9} {'1st contact':>11} "
                f"{'pred. CSAT':>10} {'n (pred.)':>9} {'pred. score':>11}"]
        for key, k in breakdown(rows, by):
            out.append(f"{key[:24]:<24} {k.conversations:>5} {percent(k.resolution_rate):>9} "
                       f"{percent(k.first_contact_rate):>11} {percent(k.csat_share):>10} "
                       f"{k.rated:>9} {shown(k.csat_mean):>11}")
    return "\n".join(out)


def _row(k: OutcomeKpis) -> dict[str, Any]:
    """A breakdown row of raw values (rates as fractions, None where a figure has no
    sample): exports carry numbers, and the page formats them by ``_BREAKDOWN_KINDS``."""
    return {"conversations": k.conversations, "resolved": k.resolved,
            "resolution_rate": k.resolution_rate,
            "first_contact_rate": k.first_contact_rate,
            "predicted_csat": k.csat_share, "predicted_n": k.rated,
            "predicted_score": k.csat_mean, "net_change": k.net_sentiment_change,
            "change_n": k.changes}


_BREAKDOWN_COLUMNS = [
    ("conversations", "n"), ("resolved", "resolved"), ("resolution_rate", "resolution rate"),
    ("first_contact_rate", "first-contact resolution"),
    ("predicted_csat", "predicted CSAT (satisfied)"), ("predicted_n", "n (predicted)"),
    ("predicted_score", "mean predicted score /5"), ("net_change", "net sentiment change"),
    ("change_n", "n (change)"),
]
# How the page shows each column (metrics.dashboard.display): "no data" where a figure
# has no sample, like every other dashboard table.
_BREAKDOWN_KINDS = {
    "conversations": "count", "resolved": "count", "resolution_rate": "share",
    "first_contact_rate": "share", "predicted_csat": "share", "predicted_n": "count",
    "predicted_score": "mean", "net_change": "score", "change_n": "count",
}


def tables(rows: list[dict[str, Any]], link: Any) -> list[Any]:
    """The dashboard's outcome tables (``metrics.dashboard.Table``): the headline figures
    and one table per breakdown. ``link(**narrow)`` gives a /mentions URL; each row's
    link lists exactly the conversations its rate divides by. Cells hold raw values
    (a rate as a fraction, None for no sample), so the CSV/JSON exports are numbers;
    each row's or column's kind says how the page shows it."""
    k = summarise(rows)
    headline = [
        ("Resolution rate", k.resolution_rate, "share", k.conversations, {"outcome": "any"}),
        ("First-contact resolution", k.first_contact_rate, "share", k.conversations,
         {"outcome": "any"}),
        ("Resolved", k.resolved, "count", k.conversations, {"outcome": "resolved"}),
        ("Open after our reply", k.open, "count", k.conversations, {"outcome": "open"}),
        ("Escalated (DM, phone, store)", k.escalated, "count", k.conversations,
         {"outcome": "escalated"}),
        ("No answer", k.no_answer, "count", k.conversations, {"outcome": "no_answer"}),
        ("Predicted CSAT (share predicted satisfied)", k.csat_share, "share", k.rated,
         {"csat": "any"}),
        ("Mean predicted satisfaction score (1-5)", k.csat_mean, "mean", k.rated,
         {"csat": "any"}),
        ("Net sentiment change (-2..+2)", k.net_sentiment_change, "score", k.changes,
         {"sentiment_change": "1"}),
    ]
    summary = Table(
        "outcomes", "Did our replies help?", [("figure", "figure"), ("value", "value"),
                                               ("n", "sample size")],
        [{"figure": f, "value": v, "kind": kind, "n": n} for f, v, kind, n, _ in headline],
        [link(**narrow) for *_, narrow in headline],
        note="Conversations we answered, by their first mention's date. Satisfaction is "
             "predicted from the customer's words, not a survey. A rate's mentions link "
             "lists its sample (the denominator); a count's link lists what it counts.",
        kinds={"value": "row", "n": "count"})
    out = [summary]
    for by in BREAKDOWNS:
        table = breakdown(rows, by)
        out.append(Table(
            f"outcomes_by_{by}", f"Outcomes per {by}", [(by, by), *_BREAKDOWN_COLUMNS],
            [{by: key, **_row(kpis)} for key, kpis in table],
            [link(outcome="any", **{by: key}) for key, _ in table],
            kinds=_BREAKDOWN_KINDS))
    return out
