"""The interface between triage and whatever model tells the tone of a text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Prediction:
    label: str  # one of LABELS
    scores: dict[str, float]  # a probability per label, summing to 1


class Classifier(Protocol):
    name: str  # model name or path, stored with every triage result
    version: str  # e.g. a hash of the weights: which model judged a mention

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order. Raises ``ModelError``."""
        ...
