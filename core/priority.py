"""Priority, computed once: triage stores it with its factors, and every interface that
ranks mentions (the web inbox, the terminal review, alerts) re-ages it with ``reaged``,
the one place that knows how the waiting factor grows after triage. The store calls
``reaged`` from SQL (a function registered on every connection, store.db), so a page of
the queue is ordered by the same arithmetic as a single item.

Priority = scale x (weighted mean of the factors in [0, 1]); the scale is the role factor
(a bystander ranks below the customer) times a tenth for a mention needing no reply (an
optional thank-you sinks to the bottom).
"""

from __future__ import annotations

from collections.abc import Mapping

NO_REPLY_SCALE = 0.1  # a mention needing no reply (an optional thank-you) counts a tenth


def waiting(age_minutes: float, sla_minutes: float) -> float:
    """The waiting factor: the share of the first-response SLA already used, 0..1."""
    return round(min(1.0, max(0.0, age_minutes) / sla_minutes), 3)


def scale(role: float | None, needs_reply: bool) -> float:
    """What multiplies the weighted factors: the role factor (None: 1) and the no-reply
    tenth."""
    return (1.0 if role is None else role) * (1.0 if needs_reply else NO_REPLY_SCALE)


def combine(factors: Mapping[str, float], weights: Mapping[str, float],
            needs_reply: bool) -> float:
    """Triage's priority from its factors (``role`` is a multiplier, not a weighted
    factor) and the weights of the weighted ones."""
    total = sum(weights.values()) or 1.0
    mean = sum(weights[k] * factors[k] for k in weights) / total
    return round(mean * scale(factors.get("role"), needs_reply), 4)


def reaged(priority: float, stored_waiting: float | None, role: float | None,
           needs_reply: bool, age_minutes: float, sla_minutes: float,
           waiting_share: float) -> float:
    """A stored priority as it stands ``age_minutes`` after the mention was created:
    the waiting factor's growth since triage, at its share of the weights and the same
    scale triage applied (later changes to the stored priority, such as a customer
    answering our reply, are kept)."""
    grown = waiting(age_minutes, sla_minutes) - (stored_waiting or 0.0)
    return priority + waiting_share * grown * scale(role, needs_reply)
