"""Out-of-fold scores of a cross-validation: per fold, then pooled and spread over folds and seeds.

One implementation for the benchmark on real pictures (``bench/bench_realdata.py``) and the
app's "cross-validate these settings" job (``core.crossval``): both hand over, per fold,
the truth and the prediction of every picture and every wire; this module scores them.

Balanced accuracy is the mean recall over the classes present in the truth (a class a fold
holds no wire of is not counted as 0). A prediction outside the labels (``"none"``: no
loop found, no verdict) counts as wrong. Recall is always reported with its support, so a
PASS recall of "1 of 2" is never read as a rate.

How far a score on a few dozen wires can be trusted is said by ``wire_interval``: the pooled
per-wire balanced accuracy with a bootstrap interval over the wires (drawn again with
replacement within each true class, the same draw for every seed). How far a verdict's own
confidence can be trusted is said by ``trust_table``: out of fold, how often the verdicts at or
above a confidence were right, and how often those below it.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: The column of the confusion matrix for "no prediction at all".
NONE = "none"
#: The confidences at which ``trust_table`` splits the wire verdicts.
TRUST_LINES = (0.4, 0.5, 0.6, 0.7, 0.8)


def balanced_accuracy(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    """Mean recall over the ``labels`` present in ``truth`` (rows of other classes are ignored); NaN without any."""
    recalls = [right / support for _, right, support in recall_table(truth, predicted, labels) if support]
    return sum(recalls) / len(recalls) if recalls else math.nan


def recall_table(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(class, right, support)`` per label."""
    pairs = list(zip(truth, predicted, strict=True))
    return [(label, sum(1 for t, p in pairs if t == label and p == label), sum(1 for t, _ in pairs if t == label)) for label in labels]


def confusion(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows: the true label; columns: the labels, then ``none`` (anything else predicted)."""
    pairs = list(zip(truth, predicted, strict=True))
    columns = [*labels, NONE]
    return [
        [sum(1 for t, p in pairs if t == row and (p == column or (column == NONE and p not in labels))) for column in columns]
        for row in labels
    ]


@dataclass
class FoldOutcome:
    """One fold's held-out truth and predictions; ``numbers`` holds any further per-fold scalars."""

    fold: int
    seed: int = 0
    picture_truth: list[str] = field(default_factory=list)
    picture_predicted: list[str] = field(default_factory=list)
    wire_truth: list[str] = field(default_factory=list)
    wire_predicted: list[str] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)
    #: Which wire each ``wire_truth`` entry is (its group), so seeds can be resampled together; may be empty.
    wire_ids: list[str] = field(default_factory=list)
    #: Each wire verdict's own confidence (0 for no verdict); may be empty.
    wire_confidence: list[float] = field(default_factory=list)

    def scores(self, labels: Sequence[str], core_labels: Sequence[str] = ()) -> dict[str, float]:
        """Balanced accuracy per picture and per wire (and over ``core_labels`` alone), then ``numbers``."""
        result = {"picture_bacc": balanced_accuracy(self.picture_truth, self.picture_predicted, labels)}
        if self.wire_truth:
            result["wire_bacc"] = balanced_accuracy(self.wire_truth, self.wire_predicted, labels)
            if core_labels:
                result["wire_bacc_three"] = balanced_accuracy(self.wire_truth, self.wire_predicted, core_labels)
        return {**result, **self.numbers}

    def to_json(self) -> dict[str, Any]:
        return {
            "fold": self.fold,
            "seed": self.seed,
            "picture_truth": self.picture_truth,
            "picture_predicted": self.picture_predicted,
            "wire_truth": self.wire_truth,
            "wire_predicted": self.wire_predicted,
            "wire_ids": self.wire_ids,
            "wire_confidence": self.wire_confidence,
            "numbers": self.numbers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FoldOutcome:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


def _spread(values: list[tuple[int, float]]) -> dict[str, float]:
    """Mean over folds, the spread of the per-seed means, and the fold range; NaN folds left out."""
    kept = [(seed, value) for seed, value in values if value == value]
    if not kept:
        return {"mean": math.nan, "seed_std": 0.0, "fold_min": math.nan, "fold_max": math.nan, "folds": 0}
    per_seed: dict[int, list[float]] = {}
    for seed, value in kept:
        per_seed.setdefault(seed, []).append(value)
    seed_means = [statistics.mean(v) for v in per_seed.values()]
    numbers = [value for _, value in kept]
    return {
        "mean": statistics.mean(numbers),
        "seed_std": statistics.pstdev(seed_means) if len(seed_means) > 1 else 0.0,
        "fold_std": statistics.pstdev(numbers) if len(numbers) > 1 else 0.0,
        "fold_min": min(numbers),
        "fold_max": max(numbers),
        "folds": len(numbers),
    }


def wire_interval(
    outcomes: Sequence[FoldOutcome], labels: Sequence[str], rounds: int = 2000, level: float = 0.95, seed: int = 0
) -> dict[str, float]:
    """Pooled per-wire balanced accuracy over ``labels`` and its bootstrap interval over the wires.

    Every seed's out-of-fold verdicts are pooled over its folds (each wire is held out once per
    seed) and scored; the estimate is the mean over seeds. The interval draws the wires again with
    replacement within each true class (so every class keeps its support) ``rounds`` times, the
    same wires for every seed, and keeps the central ``level`` of the scores. Wires without an id
    count as separate wires of their seed. Empty when no wire of ``labels`` was judged.
    """
    verdicts: dict[int, dict[str, str]] = {}
    truth: dict[str, str] = {}
    for outcome in outcomes:
        ids = outcome.wire_ids or [f"{outcome.seed}/{outcome.fold}/{n}" for n in range(len(outcome.wire_truth))]
        for wire, true, predicted in zip(ids, outcome.wire_truth, outcome.wire_predicted, strict=True):
            if true in labels:
                truth[wire] = true
                verdicts.setdefault(outcome.seed, {})[wire] = predicted
    if not truth:
        return {}

    def score(wires: Sequence[str]) -> float:
        per_seed = []
        for predicted in verdicts.values():
            drawn = [wire for wire in wires if wire in predicted]
            per_seed.append(balanced_accuracy([truth[w] for w in drawn], [predicted[w] for w in drawn], labels))
        kept = [value for value in per_seed if value == value]
        return statistics.mean(kept) if kept else math.nan

    by_class: dict[str, list[str]] = {}
    for wire in sorted(truth):
        by_class.setdefault(truth[wire], []).append(wire)
    draw = random.Random(seed)
    scores = sorted(score([draw.choice(wires) for wires in by_class.values() for _ in wires]) for _ in range(rounds))
    tail = (1 - level) / 2
    return {
        "estimate": score(sorted(truth)),
        "low": scores[int(tail * (rounds - 1))],
        "high": scores[int(round((1 - tail) * (rounds - 1)))],
        "level": level,
        "wires": len(truth),
        "seeds": len(verdicts),
    }


def trust_table(outcomes: Sequence[FoldOutcome], lines: Sequence[float] = TRUST_LINES) -> list[dict[str, Any]]:
    """Per confidence line, the wire verdicts at or above it and those below: how many, and how many were right.

    Pooled over every fold and seed that recorded its verdicts' confidences (each seed judges every
    wire once, so a wire counts once per seed). Tells a user where to draw the line under which a
    person checks the verdict. Empty when no outcome has confidences.
    """
    judged = [
        (confidence, truth == predicted)
        for outcome in outcomes
        if outcome.wire_confidence
        for truth, predicted, confidence in zip(outcome.wire_truth, outcome.wire_predicted, outcome.wire_confidence, strict=True)
    ]
    if not judged:
        return []
    rows = []
    for line in lines:
        sure = [right for confidence, right in judged if confidence >= line]
        unsure = [right for confidence, right in judged if confidence < line]
        rows.append(
            {
                "line": line,
                "sure": len(sure),
                "sure_right": sum(sure),
                "share": len(sure) / len(judged),
                "unsure": len(unsure),
                "unsure_right": sum(unsure),
            }
        )
    return rows


def summarise(outcomes: Sequence[FoldOutcome], labels: Sequence[str], core_labels: Sequence[str] = ()) -> dict[str, Any]:
    """Every fold's scores with their spread, and the recall tables and confusion matrices pooled over the folds."""
    if not outcomes:
        raise ValueError("There is nothing to summarise: no fold finished.")
    per_fold = [(outcome.seed, outcome.scores(labels, core_labels)) for outcome in outcomes]
    keys = list(dict.fromkeys(key for _, scores in per_fold for key in scores))
    scores = {key: _spread([(seed, values[key]) for seed, values in per_fold if key in values]) for key in keys}
    pictures_t = [t for o in outcomes for t in o.picture_truth]
    pictures_p = [p for o in outcomes for p in o.picture_predicted]
    wires_t = [t for o in outcomes for t in o.wire_truth]
    wires_p = [p for o in outcomes for p in o.wire_predicted]
    return {
        "labels": list(labels),
        "scores": scores,
        "folds": [{"fold": o.fold, "seed": o.seed, **values} for o, (_, values) in zip(outcomes, per_fold, strict=True)],
        "picture_recall": recall_table(pictures_t, pictures_p, labels),
        "picture_confusion": confusion(pictures_t, pictures_p, labels),
        "wire_recall": recall_table(wires_t, wires_p, labels) if wires_t else [],
        "wire_confusion": confusion(wires_t, wires_p, labels) if wires_t else [],
        "wire_interval": (
            {
                "wire_bacc": wire_interval(outcomes, labels),
                **({"wire_bacc_three": wire_interval(outcomes, core_labels)} if core_labels else {}),
            }
            if wires_t
            else {}
        ),
        "wire_trust": trust_table(outcomes),
    }
