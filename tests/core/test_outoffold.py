"""Out-of-fold scoring shared by the real-data benchmark and the app's cross-validation job."""

from __future__ import annotations

import math

import pytest

from core.evaluation.outoffold import FoldOutcome, balanced_accuracy, confusion, recall_table, summarise

LABELS = ("PASS", "SWEEP", "WOBBLE", "TOUCH")


def test_balanced_accuracy_averages_the_classes_present_and_counts_no_verdict_as_wrong():
    truth = ["SWEEP", "SWEEP", "WOBBLE", "WOBBLE", "TOUCH"]
    predicted = ["SWEEP", "none", "WOBBLE", "TOUCH", "TOUCH"]
    # PASS has no wire here: it is not a zero in the mean. SWEEP 1/2, WOBBLE 1/2, TOUCH 1/1.
    assert balanced_accuracy(truth, predicted, LABELS) == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert balanced_accuracy(truth, predicted, ("SWEEP", "TOUCH")) == pytest.approx(0.75)
    assert math.isnan(balanced_accuracy([], [], LABELS))


def test_recall_comes_with_its_support_and_the_confusion_has_a_no_verdict_column():
    truth = ["PASS", "PASS", "SWEEP", "TOUCH"]
    predicted = ["PASS", "none", "TOUCH", "TOUCH"]
    assert recall_table(truth, predicted, LABELS) == [("PASS", 1, 2), ("SWEEP", 0, 1), ("WOBBLE", 0, 0), ("TOUCH", 1, 1)]
    assert confusion(truth, predicted, LABELS) == [[1, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0]]


def test_summary_spreads_over_folds_and_seeds_and_pools_the_tables():
    outcomes = [
        FoldOutcome(0, 0, ["SWEEP", "TOUCH"], ["SWEEP", "TOUCH"], ["SWEEP"], ["SWEEP"], {"minutes": 2.0}),
        FoldOutcome(1, 0, ["SWEEP", "TOUCH"], ["TOUCH", "TOUCH"], ["TOUCH"], ["TOUCH"], {"minutes": 4.0}),
        FoldOutcome(0, 1, ["SWEEP", "TOUCH"], ["SWEEP", "SWEEP"], ["SWEEP"], ["none"], {"minutes": 3.0}),
    ]
    summary = summarise(outcomes, LABELS, ("SWEEP", "WOBBLE", "TOUCH"))
    picture = summary["scores"]["picture_bacc"]
    assert [f["picture_bacc"] for f in summary["folds"]] == [1.0, 0.5, 0.5]
    assert picture["mean"] == pytest.approx(2 / 3) and (picture["fold_min"], picture["fold_max"]) == (0.5, 1.0)
    # Seed 0 averages 0.75, seed 1 0.5: the spread over seeds is their standard deviation.
    assert picture["seed_std"] == pytest.approx(0.125)
    assert summary["scores"]["minutes"]["mean"] == pytest.approx(3.0)
    assert summary["wire_recall"] == [("PASS", 0, 0), ("SWEEP", 1, 2), ("WOBBLE", 0, 0), ("TOUCH", 1, 1)]
    assert sum(map(sum, summary["picture_confusion"])) == 6
    assert FoldOutcome.from_json(outcomes[2].to_json()) == outcomes[2]
    with pytest.raises(ValueError, match="no fold finished"):
        summarise([], LABELS)
