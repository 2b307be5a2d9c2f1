"""The one shape of a trained model's metrics, between the trainer and everything that shows them.

The runner writes ``ModelMetrics.to_json()`` into a model version's ``metrics``; the registry's
quality gate, its comparison, the version page and the evaluation report read it back with
``ModelMetrics.from_json``. The stored JSON is flat for the scalar numbers (so a version list
can sort by ``balanced_accuracy``) plus three structured keys:

- ``labels``: the class names in order (PASS first for the defect model);
- ``per_class``: ``{class: {precision, recall, f1, support}}``;
- ``confusion_matrix``: rows are the true class, columns the prediction, both in ``labels`` order.

A defect model also carries ``pass_recall`` and ``pass_support`` (how many PASS validation
pictures that recall rests on). Detection versions carry only scalars (mAP50, mAP50-95,
precision, recall) and a single ``wire`` class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.evaluation.metrics import Evaluation

STRUCTURED = ("labels", "per_class", "confusion_matrix")
PASS = "PASS"


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ModelMetrics:
    scalars: dict[str, float]
    labels: tuple[str, ...] = ()
    per_class: dict[str, ClassScores] = field(default_factory=dict)
    confusion_matrix: tuple[tuple[int, ...], ...] = ()

    # --- written by the trainer ------------------------------------------------------------------

    @classmethod
    def from_evaluation(cls, evaluation: Evaluation, **extra: float) -> ModelMetrics:
        """A classifier's metrics from its validation ``Evaluation``, plus extra scalars (e.g. ``best_epoch``)."""
        scalars = {
            "accuracy": evaluation.accuracy,
            "balanced_accuracy": evaluation.balanced_accuracy,
            "macro_f1": evaluation.macro_f1,
            **{key: float(value) for key, value in extra.items()},
        }
        per_class = {c.name: ClassScores(c.precision, c.recall, c.f1, c.support) for c in evaluation.per_class}
        if PASS in per_class:
            scalars["pass_recall"] = per_class[PASS].recall
            scalars["pass_support"] = float(per_class[PASS].support)
        return cls(scalars, tuple(evaluation.classes), per_class, tuple(tuple(row) for row in evaluation.confusion))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.scalars)
        if self.labels:
            data["labels"] = list(self.labels)
        if self.per_class:
            data["per_class"] = {
                name: {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support} for name, s in self.per_class.items()
            }
        if self.confusion_matrix:
            data["confusion_matrix"] = [list(row) for row in self.confusion_matrix]
        return data

    # --- read by the registry and the pages ------------------------------------------------------

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ModelMetrics:
        """Read stored metrics; anything malformed is left out rather than shown wrong."""
        data = data or {}
        scalars = {
            key: float(value)
            for key, value in data.items()
            if key not in STRUCTURED and isinstance(value, int | float) and not isinstance(value, bool)
        }
        labels_raw = data.get("labels")
        labels = tuple(str(label) for label in labels_raw) if isinstance(labels_raw, list) else ()
        per_class: dict[str, ClassScores] = {}
        per_class_raw = data.get("per_class")
        if isinstance(per_class_raw, Mapping):
            for name, values in per_class_raw.items():
                try:
                    per_class[str(name)] = ClassScores(
                        float(values["precision"]), float(values["recall"]), float(values["f1"]), int(values["support"])
                    )
                except (KeyError, TypeError, ValueError):
                    continue
        # In the labels' order: PostgreSQL's jsonb keeps an object's keys sorted by length, not as they were written.
        rank = {label: index for index, label in enumerate(labels)}
        per_class = dict(sorted(per_class.items(), key=lambda item: rank.get(item[0], len(rank))))
        matrix_raw = data.get("confusion_matrix")
        matrix: tuple[tuple[int, ...], ...] = ()
        if isinstance(matrix_raw, list) and labels and len(matrix_raw) == len(labels):
            try:
                matrix = tuple(tuple(int(v) for v in row) for row in matrix_raw)
            except (TypeError, ValueError):
                matrix = ()
            if any(len(row) != len(labels) for row in matrix):
                matrix = ()
        return cls(scalars, labels, per_class, matrix)

    @property
    def pass_recall(self) -> float | None:
        """PASS recall of a defect model (from its per-class table when it has one), else None."""
        if PASS in self.per_class:
            return self.per_class[PASS].recall
        return self.scalars.get("pass_recall")

    @property
    def pass_support(self) -> int | None:
        """How many PASS validation pictures the PASS recall rests on, when known."""
        if PASS in self.per_class:
            return self.per_class[PASS].support
        value = self.scalars.get("pass_support")
        return int(value) if value is not None else None

    def recall_by_class(self) -> dict[str, float]:
        return {name: scores.recall for name, scores in self.per_class.items()}

    def confusion_rows(self) -> list[tuple[str, list[int]]]:
        """(true class, counts per predicted class) rows, or none when no matrix was stored."""
        return [(label, list(row)) for label, row in zip(self.labels, self.confusion_matrix, strict=True)] if self.confusion_matrix else []
