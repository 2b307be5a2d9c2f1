"""Classification metrics, always over the full class list.

A class missing from a split must neither crash nor shift a column (one of the
desktop tool's bugs): every function takes the ordered class names and reports
every class, PASS first for the defect model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Class ids, one per sample: a list, or a numpy integer array such as ``probabilities.argmax(axis=1)``.
ClassIds = Sequence[int] | np.ndarray


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    precision: float
    recall: float
    f1: float
    support: int
    auc: float | None  # one-vs-rest; None when the class or its complement is absent


@dataclass(frozen=True)
class Evaluation:
    classes: tuple[str, ...]
    accuracy: float
    balanced_accuracy: float
    macro_precision: float
    macro_recall: float
    macro_f1: float
    weighted_precision: float
    weighted_recall: float
    weighted_f1: float
    macro_auc: float | None
    per_class: tuple[ClassMetrics, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: truth, columns: prediction
    count: int

    def recall_of(self, name: str) -> float:
        return self.per_class[self.classes.index(name)].recall

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_class"] = [asdict(c) for c in self.per_class]
        data["confusion"] = [list(row) for row in self.confusion]
        data["classes"] = list(self.classes)
        return data

    def scalars(self) -> dict[str, float]:
        """Flat numbers for the epoch event and TensorBoard (per-class recall included)."""
        out = {
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "macro_f1": self.macro_f1,
            "weighted_f1": self.weighted_f1,
        }
        if self.macro_auc is not None:
            out["macro_auc"] = self.macro_auc
        for c in self.per_class:
            out[f"recall/{c.name}"] = c.recall
            out[f"precision/{c.name}"] = c.precision
        return out


def evaluate(y_true: ClassIds, y_pred: ClassIds, classes: Sequence[str], probabilities: np.ndarray | None = None) -> Evaluation:
    """All metrics of one evaluation. Class ids index ``classes``.

    Balanced accuracy is the mean recall over the classes present in ``y_true``
    (as scikit-learn defines it); precision/recall of a class with no samples or
    no predictions count as 0.
    """
    classes = tuple(classes)
    labels = list(range(len(classes)))
    truth = np.asarray(y_true, dtype=int)
    pred = np.asarray(y_pred, dtype=int)
    # scikit-learn (with SciPy) costs about 2 s to import: imported where used, not by every process that reads a report.
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    matrix = confusion_matrix(truth, pred, labels=labels) if len(truth) else np.zeros((len(labels), len(labels)), int)
    support = matrix.sum(axis=1)
    correct = np.diag(matrix)
    present = support > 0
    accuracy = float(correct.sum() / max(len(truth), 1))
    recalls = np.divide(correct, support, out=np.zeros(len(labels)), where=present)
    balanced = float(recalls[present].mean()) if present.any() else 0.0
    if len(truth):
        p, r, f, _ = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
        macro = precision_recall_fscore_support(truth, pred, labels=labels, average="macro", zero_division=0)
        weighted = precision_recall_fscore_support(truth, pred, labels=labels, average="weighted", zero_division=0)
    else:
        p = r = f = np.zeros(len(labels))
        macro = weighted = (0.0, 0.0, 0.0, None)
    aucs = _one_vs_rest_auc(truth, probabilities, len(labels)) if probabilities is not None else [None] * len(labels)
    valid_aucs = [a for a in aucs if a is not None]
    per_class = tuple(ClassMetrics(name, float(p[i]), float(r[i]), float(f[i]), int(support[i]), aucs[i]) for i, name in enumerate(classes))
    return Evaluation(
        classes=classes,
        accuracy=accuracy,
        balanced_accuracy=balanced,
        macro_precision=float(macro[0]),
        macro_recall=float(macro[1]),
        macro_f1=float(macro[2]),
        weighted_precision=float(weighted[0]),
        weighted_recall=float(weighted[1]),
        weighted_f1=float(weighted[2]),
        macro_auc=float(np.mean(valid_aucs)) if valid_aucs else None,
        per_class=per_class,
        confusion=tuple(tuple(int(v) for v in row) for row in matrix),
        count=len(truth),
    )


def _one_vs_rest_auc(truth: np.ndarray, probabilities: np.ndarray, n_classes: int) -> list[float | None]:
    from sklearn.metrics import roc_auc_score

    result: list[float | None] = []
    for k in range(n_classes):
        positive = truth == k
        if positive.all() or not positive.any():
            result.append(None)
            continue
        value = float(roc_auc_score(positive, probabilities[:, k]))
        result.append(None if math.isnan(value) else value)
    return result


def roc_curves(y_true: ClassIds, probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One-vs-rest ROC curve (fpr, tpr) of every class that has both positives and negatives."""
    from sklearn.metrics import roc_curve

    truth = np.asarray(y_true, dtype=int)
    curves = {}
    for k, name in enumerate(classes):
        positive = truth == k
        if positive.any() and not positive.all():
            fpr, tpr, _ = roc_curve(positive, probabilities[:, k])
            curves[name] = (fpr, tpr)
    return curves
