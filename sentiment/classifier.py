"""The interface between triage and whatever model tells the tone of a text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

LABELS = ("negative", "neutral", "positive")
# Learned yes/no heads beside tone, all from the same forward pass (docs/model.md).
HEADS = ("needs_reply", "complaint", "spam", "sarcasm")


@dataclass(frozen=True)
class Prediction:
    label: str  # one of LABELS
    scores: dict[str, float]  # a probability per label, summing to 1
    # A probability per learned head (HEADS) the model has; empty for tone-only models,
    # and triage then falls back to its rules.
    heads: dict[str, float] = field(default_factory=dict)


def thresholds_of(classifier: object) -> dict[str, float]:
    """The probability at which each of the model's heads says yes (chosen on validation
    data when it was trained); empty for classifiers without heads."""
    return dict(getattr(classifier, "thresholds", None) or {})


class Classifier(Protocol):
    name: str  # model name or path, stored with every triage result
    version: str  # e.g. a hash of the weights: which model judged a mention

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order. Raises ``ModelError``."""
        ...
