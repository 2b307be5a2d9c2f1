from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from core.evaluation.metrics import evaluate
from core.labels import DEFECTS


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_scikit_learn_with_an_absent_class(seed):
    rng = np.random.default_rng(seed)
    truth = rng.choice([1, 2, 3], size=60)  # PASS (0) absent from the labels
    pred = np.where(rng.random(60) < 0.6, truth, rng.integers(0, 4, 60))
    probabilities = rng.dirichlet(np.ones(4), size=60)
    result = evaluate(truth, pred, DEFECTS, probabilities)
    labels = [0, 1, 2, 3]
    assert result.accuracy == pytest.approx(accuracy_score(truth, pred))
    with pytest.warns(UserWarning):
        assert result.balanced_accuracy == pytest.approx(balanced_accuracy_score(truth, pred))
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    assert [c.precision for c in result.per_class] == pytest.approx(p)
    assert [c.recall for c in result.per_class] == pytest.approx(r)
    assert [c.f1 for c in result.per_class] == pytest.approx(f)
    assert [c.support for c in result.per_class] == list(s)
    assert result.macro_f1 == pytest.approx(f1_score(truth, pred, labels=labels, average="macro", zero_division=0))
    assert result.weighted_f1 == pytest.approx(f1_score(truth, pred, labels=labels, average="weighted", zero_division=0))
    assert np.array_equal(np.array(result.confusion), confusion_matrix(truth, pred, labels=labels))
    assert result.per_class[0].name == "PASS" and result.per_class[0].auc is None
    for k in (1, 2, 3):
        assert result.per_class[k].auc == pytest.approx(roc_auc_score(truth == k, probabilities[:, k]))


def test_all_classes_present_balanced_accuracy_and_pass_recall():
    rng = np.random.default_rng(9)
    truth = rng.integers(0, 4, 80)
    pred = np.where(rng.random(80) < 0.7, truth, rng.integers(0, 4, 80))
    result = evaluate(truth, pred, DEFECTS)
    assert result.balanced_accuracy == pytest.approx(balanced_accuracy_score(truth, pred))
    assert result.recall_of("PASS") == pytest.approx(np.mean(pred[truth == 0] == 0))
    assert result.macro_auc is None
    assert list(result.scalars())[:2] == ["accuracy", "balanced_accuracy"]


def test_empty_split_does_not_crash():
    result = evaluate([], [], DEFECTS)
    assert result.count == 0 and len(result.confusion) == 4 and result.accuracy == 0.0
