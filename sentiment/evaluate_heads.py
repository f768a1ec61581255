"""Measure every head, and triage as a whole, on one split of the triage labels.

``main.py model eval --data ../shared/data --labels [--split test]`` prints, for the
chosen split (default: the held-out test keys): each head at the model's thresholds
(precision, recall, F1, false alarms, macro recall, confusion); needs_reply as triage
decides it (model plus rules, roles and overrides), per source; the share of praise
flagged as needing a reply; tone on the examples that have a tone label; and the
precision-recall trade-off of needs_reply over thresholds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.settings import Settings
from sentiment.batch import Item, triage_items
from sentiment.classifier import HEADS, Classifier, thresholds_of
from sentiment.evaluate import BinaryReport, binary_metrics, compute_metrics, format_binary
from sentiment.labels import join

TRADE_OFF = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8)


def evaluate_labels(
    classifier: Classifier, settings: Settings, data_dir: Path, labels_path: Path, split: str
) -> dict[str, Any]:
    examples = [e for e in join(Path(data_dir), labels_path) if e.split == split]
    brand = settings.brands[0]
    items = [Item(text=e.text, brand=brand, addressed=e.source != "tweeteval")
             for e in examples]  # fmt: skip
    results = triage_items(items, classifier, settings)
    predictions = [p for p, _ in results]
    thresholds = thresholds_of(classifier)
    report: dict[str, Any] = {"split": split, "n": len(examples), "heads": {}, "triage": {}}
    for head in HEADS:
        if not predictions or head not in predictions[0].heads:
            continue
        gold = [e.answers[head] for e in examples]
        probs = [p.heads[head] for p in predictions]
        report["heads"][head] = binary_metrics(head, gold, probs,
                                               thresholds.get(head, 0.5)).as_dict()
        if head == "needs_reply":
            report["trade_off"] = [binary_metrics(head, gold, probs, t).as_dict()
                                   for t in TRADE_OFF]  # fmt: skip
    decisions = {
        "needs_reply": [t.needs_reply for _, t in results],
        "complaint": [t.complaint for _, t in results],
        "spam": [t.spam for _, t in results],
    }
    for source in ("all", *sorted({e.source for e in examples})):
        rows = [i for i, e in enumerate(examples) if source in ("all", e.source)]
        for head, said in decisions.items():
            gold = [examples[i].answers[head] for i in rows]
            yes = [float(said[i]) for i in rows]
            report["triage"][f"{head} ({source})"] = binary_metrics(head, gold, yes,
                                                                    0.5).as_dict()
    praise = [i for i, e in enumerate(examples)
              if e.tone == "positive" and not e.answers["needs_reply"]]  # fmt: skip
    report["praise_flagged"] = (
        sum(decisions["needs_reply"][i] for i in praise) / len(praise) if praise else None
    )
    report["praise_n"] = len(praise)
    toned = [(e.tone, p.label) for e, p in zip(examples, predictions, strict=True) if e.tone]
    if toned:
        report["tone"] = compute_metrics([g for g, _ in toned], [p for _, p in toned],
                                         f"labels {split}").as_dict()  # fmt: skip
    return report


def format_labels_report(report: dict[str, Any]) -> str:
    lines = [f"triage labels, split {report['split']} ({report['n']} examples)",
             "heads (model alone, at the model's thresholds):"]  # fmt: skip
    lines += ["  " + format_binary(BinaryReport(**r)) for r in report["heads"].values()]
    lines.append("triage decisions (model + rules + overrides), by source:")
    for name, r in report["triage"].items():
        lines.append("  " + format_binary(BinaryReport(**{**r, "head": name})))
    if report.get("praise_flagged") is not None:
        lines.append(f"praise (tone positive, no reply needed, {report['praise_n']}) flagged "
                     f"needs_reply: {report['praise_flagged']:.3f}")
    if "tone" in report:
        tone = report["tone"]
        lines.append(f"tone on labelled examples: macro recall {tone['macro_recall']:.4f}, "
                     f"accuracy {tone['accuracy']:.4f}")
    if "trade_off" in report:
        lines.append("needs_reply trade-off (model alone):")
        lines.append("  threshold  precision  recall  false alarms")
        for r in report["trade_off"]:
            lines.append(f"  {r['threshold']:>9.2f}  {r['precision']:>9.3f}  {r['recall']:>6.3f}"
                         f"  {r['false_alarm_rate']:>12.3f}")
    return "\n".join(lines)
