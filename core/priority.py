"""Priority, computed once: triage stores it with its factors, and every interface that
ranks mentions (the web inbox, the terminal review, alerts) re-ages it with ``reaged``,
the one place that knows how the waiting factor grows after triage. The store calls
``reaged`` from SQL (a function registered on every connection, store.db), so a page of
the queue is ordered by the same arithmetic as a single item.

Priority = scale x (weighted mean of the factors in [0, 1]); the scale is the product of
the multiplier factors (``role``: a bystander ranks below the customer; ``unsure``: a
mention the model doubts ranks lower) times a tenth for a mention needing no reply (an
optional thank-you sinks to the bottom). A safety mention (``safety``: the always-reply
words) gets a band of its own above every other mention.
"""

from __future__ import annotations

from collections.abc import Mapping

NO_REPLY_SCALE = 0.1  # a mention needing no reply (an optional thank-you) counts a tenth
MULTIPLIERS = ("role", "unsure")  # factors that scale the priority instead of averaging in
SAFETY_BAND = 1.0  # added for a safety mention: above any other, whose priority is <= 1


def waiting(age_minutes: float, sla_minutes: float) -> float:
    """The waiting factor: the share of the first-response SLA already used, 0..1."""
    return round(min(1.0, max(0.0, age_minutes) / sla_minutes), 3)


def multiplier(factors: Mapping[str, float]) -> float:
    """The product of the multiplier factors present (1 when none is)."""
    product = 1.0
    for name in MULTIPLIERS:
        product *= factors.get(name, 1.0)
    return product


def scale(multiplied: float | None, needs_reply: bool) -> float:
    """What multiplies the weighted factors: the multiplier factors' product (None: 1)
    and the no-reply tenth."""
    return (1.0 if multiplied is None else multiplied) * (1.0 if needs_reply else NO_REPLY_SCALE)


def combine(factors: Mapping[str, float], weights: Mapping[str, float],
            needs_reply: bool) -> float:
    """Triage's priority from its factors (``role`` and ``unsure`` are multipliers,
    ``safety`` a band, not weighted factors) and the weights of the weighted ones."""
    total = sum(weights.values()) or 1.0
    mean = sum(weights[k] * factors[k] for k in weights) / total
    band = SAFETY_BAND if factors.get("safety") else 0.0
    return round(mean * scale(multiplier(factors), needs_reply) + band, 4)


def reaged(priority: float, stored_waiting: float | None, multiplied: float | None,
           needs_reply: bool, age_minutes: float, sla_minutes: float,
           waiting_share: float) -> float:
    """A stored priority as it stands ``age_minutes`` after the mention was created:
    the waiting factor's growth since triage, at its share of the weights and the same
    scale triage applied (later changes to the stored priority, such as a customer
    answering our reply, are kept)."""
    grown = waiting(age_minutes, sla_minutes) - (stored_waiting or 0.0)
    return priority + waiting_share * grown * scale(multiplied, needs_reply)
