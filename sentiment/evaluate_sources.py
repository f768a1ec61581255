"""Figures by held-out source: every head, and triage as a whole, on data whose source
(or, for care traffic, brand) the heads never trained on.

``main.py model eval --by-source`` prints the table head x held-out source with the
*worst* source per head; ``main.py model train --stages wide`` stores the same table in
the model's manifest. The figures come from out-of-source probabilities
(``train_wide.out_of_source``) at thresholds chosen without the source being measured.
Triage's own decisions (model plus rules: requests never dropped, the unsure band) are
measured too, because that is what the desk acts on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from config.settings import TriageSettings
from sentiment.activations import softmax
from sentiment.classifier import HEADS, LABELS, Prediction
from sentiment.train_data import ABOUT_BRANDS, UNKNOWN, Row
from sentiment.train_wide import (
    Dataset,
    by_source_table,
    care_first_contacts,
    choose_thresholds,
    holdouts,
    macro_f1,
)
from sentiment.triage import Context, triage

# Sources whose texts a desk receives as addressed to it (care traffic, requests to a
# company: the held-back check runs `main.py triage --addressed`); the rest are
# addressed when they carry a handle, except those addressed to no brand at all.
ADDRESSED = {"twcs", "airline", "sample", "written", "banking77", "clinc150", "bitext",
             "chatter", "hwu64"}
UNADDRESSED = {"tweeteval", "isarcasm"}
TRIAGE_RECALL = 0.975  # triage's needs_reply recall aimed at on held-out brands' requests
# The share of those requests queued *confident*; the rest of the queue is marked unsure
# and ranked lower (issue 17: low confidence goes to the queue, ranked lower).
CONFIDENT_RECALL = 0.90
GRID = (0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
PRAISE_GRID = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6)  # praise bars tried above the cut
MIN_PRAISE = 10  # a source's praise counts in the choice from this many mentions on


def triage_decisions(rows: Sequence[Row], probs: np.ndarray, tone_logits: np.ndarray,
                     thresholds: dict[str, float], settings: TriageSettings | None = None,
                     languages: Sequence[str] | None = None) -> list[Any]:
    """Triage (rules, overrides, unsure band) on every row from the given head
    probabilities and tone: what ``main.py triage`` would decide. Every row is read as
    English unless ``languages`` gives each row's, as the desk detects it
    (``sentiment.language.detect``; "" unknown)."""
    settings = settings or TriageSettings()
    tones = softmax(tone_logits)
    out = []
    languages = languages or ["en"] * len(rows)
    for row, p, tone, language in zip(rows, probs, tones, languages, strict=True):
        prediction = Prediction(label=LABELS[int(tone.argmax())],
                                scores=dict(zip(LABELS, map(float, tone), strict=True)),
                                heads=dict(zip(HEADS, map(float, p), strict=True)))  # fmt: skip
        addressed = row.source in ADDRESSED or (row.source not in UNADDRESSED
                                                 and "@" in row.text)
        context = Context(addressed=addressed, followers=0, age_minutes=0.0,
                          language=language)  # fmt: skip
        out.append(triage(row.text, prediction, context, [], settings, 60,
                          thresholds=thresholds))  # fmt: skip
    return out


def triage_table(rows: Sequence[Row], data: Dataset, probs: np.ndarray,
                 tone_logits: np.ndarray, settings: TriageSettings | None = None
                 ) -> list[dict[str, object]]:
    """Per held-out unit: triage's needs_reply recall and false alarms (unsure counted as
    queued), the share queued as unsure, complaint macro-F1, praise sent to the queue,
    and tone macro recall where the source has tone."""
    table = []
    for name, mask in holdouts(data):
        if np.isnan(probs[mask, 0]).any():
            continue  # not fitted
        thresholds = triage_thresholds(rows, data, probs, tone_logits, exclude=mask,
                                       settings=settings)  # fmt: skip
        index = np.flatnonzero(mask).tolist()
        decided = triage_decisions([rows[i] for i in index], probs[index],
                                   tone_logits[index], thresholds, settings)  # fmt: skip
        need = np.array([t.needs_reply for t in decided])
        unsure = np.array([t.unsure for t in decided])
        complaint = np.array([t.complaint for t in decided])
        entry: dict[str, object] = {"source": name, "n": len(index)}
        gold_nr = data.targets[index, 0]
        known = gold_nr != UNKNOWN
        if (gold_nr[known] == 1).any():
            entry["needs_reply_recall"] = float(need[known & (gold_nr == 1)].mean())
            entry["needs_reply_recall_confident"] = float(
                (need & ~unsure)[known & (gold_nr == 1)].mean())
        if (gold_nr[known] == 0).any():
            entry["needs_reply_false_alarms"] = float(need[known & (gold_nr == 0)].mean())
        answered = np.array([rows[i].source == "twcs" for i in index])
        if answered.any():  # every TWCS first contact was answered by the brand
            entry["answered_flagged"] = float(need[answered].mean())
        entry["unsure_share"] = float(unsure.mean())
        gold_cp = data.targets[index, 1]
        known_cp = gold_cp != UNKNOWN
        if len(set(gold_cp[known_cp])) == 2:
            entry["complaint_macro_f1"] = macro_f1(gold_cp[known_cp] == 1, complaint[known_cp])
        praise = np.array([rows[i].tone == "positive" for i in index]) & known & (gold_nr == 0)
        if praise.sum() >= 10:
            entry["praise_flagged"] = float(need[praise].mean())
            entry["praise_n"] = int(praise.sum())
        tones = np.array([rows[i].tone for i in index])
        if (tones != "").sum() >= 20:
            entry["tone_macro_recall"] = tone_macro_recall(tones, tone_logits[index])
        table.append(entry)
    return table


def triage_thresholds(rows: Sequence[Row], data: Dataset, probs: np.ndarray,
                      tone_logits: np.ndarray, exclude: np.ndarray | None = None,
                      settings: TriageSettings | None = None) -> dict[str, float]:
    """The model's thresholds from out-of-source probabilities (rows in ``exclude``
    ignored): complaint, spam and sarcasm at their best macro-F1; needs_reply and the
    praise bar (``praise_threshold``) together, as the desk decides with them (model and
    rules). Of the pairs at which triage still finds TRIAGE_RECALL of the held-out brands'
    first contacts that need a reply, the one that queues the least praise (positive
    mentions needing no reply, averaged over the sources about brands that have some,
    each source counting once); ties go to the higher needs_reply bar, then to the
    lower praise bar. That bar is where the queue begins: the bottom of the unsure band
    (``unsure``). needs_reply itself is then the confident bar: the highest at which
    triage still finds CONFIDENT_RECALL of those first contacts without marking them
    unsure (``confident_bar``); a mention between the two is queued, marked unsure."""
    thresholds = choose_thresholds(data, probs, exclude=exclude)
    keep = (np.ones(len(rows), bool) if exclude is None else ~exclude) & ~np.isnan(probs[:, 0])
    care = keep & care_first_contacts(data) & (data.targets[:, 0] == 1)
    praise = keep & (data.targets[:, 0] == 0) & np.array(
        [r.tone == "positive" and r.source in ABOUT_BRANDS for r in rows])
    sources = np.asarray(data.sources)
    groups = [praise & (sources == s) for s in sorted(set(sources[praise]))]
    groups = [g for g in groups if g.sum() >= MIN_PRAISE]
    index = np.flatnonzero(care | praise).tolist()
    at_care, head = care[index], probs[index, 0]
    best: tuple[float, float, float] | None = None  # (praise queued, -cut, bar)
    chosen: tuple[float, float | None] = (GRID[0], None)
    for cut in GRID:
        # The bar at the cut itself changes nothing but marks the praise it would hold.
        trial = {**thresholds, "needs_reply": cut, "unsure": cut, "praise": cut}
        decided = triage_decisions([rows[i] for i in index], probs[index],
                                   tone_logits[index], trial, settings)  # fmt: skip
        queued = np.array([t.needs_reply for t in decided])
        only = np.array([t.praise_only for t in decided])
        for bar in (None, *(b for b in PRAISE_GRID if b > cut)):
            need = queued & (~only | (head >= bar)) if bar is not None else queued
            if not at_care.any() or need[at_care].mean() < TRIAGE_RECALL:
                continue
            cost = float(np.mean([need[g[index]].mean() for g in groups])) if groups else 0.0
            key = (round(cost, 9), -cut, bar if bar is not None else 0.0)
            if best is None or key < best:
                best, chosen = key, (cut, bar)
    thresholds["unsure"] = chosen[0]
    if chosen[1] is not None:
        thresholds["praise"] = chosen[1]
    care_index = np.flatnonzero(care).tolist()
    thresholds["needs_reply"] = confident_bar(
        [rows[i] for i in care_index], probs[care_index], tone_logits[care_index],
        thresholds, settings)  # fmt: skip
    return thresholds


def confident_bar(requests: Sequence[Row], probs: np.ndarray, tone_logits: np.ndarray,
                  thresholds: dict[str, float], settings: TriageSettings | None = None
                  ) -> float:
    """The highest needs_reply bar (at least the queue's entry, ``unsure``) at which
    triage still queues CONFIDENT_RECALL of ``requests`` without marking them unsure:
    below it, a mention the model alone queues is a low-confidence one."""
    entry = thresholds["unsure"]
    for bar in sorted((b for b in GRID if b > entry), reverse=True):
        decided = triage_decisions(requests, probs, tone_logits,
                                   {**thresholds, "needs_reply": bar}, settings)
        if np.mean([t.needs_reply and not t.unsure for t in decided]) >= CONFIDENT_RECALL:
            return bar
    return entry


def tone_macro_recall(gold: np.ndarray, logits: np.ndarray) -> float:
    said = np.array(LABELS)[logits.argmax(1)]
    recalls = [float((said[gold == label] == label).mean())
               for label in LABELS if (gold == label).any()]  # fmt: skip
    return sum(recalls) / len(recalls)


def worst(table: Sequence[dict[str, object]], key: str, lower_is_worse: bool = True
          ) -> dict[str, object] | None:
    rows = [r for r in table if r.get(key) is not None]
    if not rows:
        return None
    return (min if lower_is_worse else max)(rows, key=lambda r: float(r[key]))  # type: ignore[arg-type]


def format_tables(heads: Sequence[dict[str, object]], decisions: Sequence[dict[str, object]]
                  ) -> str:
    """The head x held-out source table, triage's table, and the worst source of each."""
    lines = ["heads alone, each source held out (thresholds chosen without it):",
             f"{'held-out source':<18}{'head':<13}{'n':>6}{'pos':>6}{'thr':>7}"
             f"{'recall':>8}{'false al.':>10}{'macro-F1':>9}"]  # fmt: skip

    def num(value: object) -> str:
        return "-" if value is None else f"{float(value):.3f}"  # type: ignore[arg-type]

    for r in heads:
        lines.append(f"{r['source']:<18}{r['head']:<13}{r['n']:>6}{r['positives']:>6}"
                     f"{num(r['threshold']):>7}{num(r['recall']):>8}"
                     f"{num(r['false_alarms']):>10}{num(r['macro_f1']):>9}")  # fmt: skip
    for head in HEADS:
        per = [r for r in heads if r["head"] == head]
        key = "recall" if head == "needs_reply" else "macro_f1"
        w = worst(per, key)
        if w is not None:
            lines.append(f"worst source for {head} ({key}): {w['source']} {num(w[key])}")
    columns = ("needs_reply_recall", "needs_reply_recall_confident", "answered_flagged",
               "needs_reply_false_alarms", "unsure_share", "complaint_macro_f1",
               "praise_flagged", "tone_macro_recall")
    short = ("nr recall", "confident", "answered", "false al.", "unsure", "cp mF1", "praise",
             "enc. tone")  # the encoder's own: the served blend is measured by --tone
    lines += ["", "triage (model + rules; unsure mentions are queued), each source held out:",
              f"{'held-out source':<18}{'n':>6}" + "".join(f"{s:>11}" for s in short)]
    for r in decisions:
        lines.append(f"{r['source']:<18}{r['n']:>6}"
                     + "".join(f"{num(r.get(c)):>11}" for c in columns))  # fmt: skip
    for key, lower in (("needs_reply_recall", True), ("praise_flagged", False),
                       ("complaint_macro_f1", True), ("tone_macro_recall", True)):
        w = worst(decisions, key, lower)
        if w is not None:
            lines.append(f"worst source for triage {key}: {w['source']} {num(w[key])}")
    return "\n".join(lines)


__all__ = ["by_source_table", "format_tables", "triage_table"]
