"""The metrics contract: what the trainer writes is what the registry reads back."""

from __future__ import annotations

import json

import pytest

from core.evaluation.contract import ModelMetrics
from core.evaluation.metrics import evaluate
from core.labels import DEFECTS


def test_a_defect_evaluation_round_trips_through_json() -> None:
    evaluation = evaluate([0, 0, 1, 1, 2, 3, 3], [0, 1, 1, 1, 2, 3, 2], DEFECTS)
    written = ModelMetrics.from_evaluation(evaluation, best_epoch=4).to_json()
    read = ModelMetrics.from_json(json.loads(json.dumps(written)))
    assert read.labels == DEFECTS
    assert read.pass_recall == pytest.approx(0.5) and read.pass_support == 2
    assert read.scalars["pass_recall"] == pytest.approx(0.5) and read.scalars["best_epoch"] == 4
    assert read.per_class["TOUCH"].recall == pytest.approx(0.5) and read.per_class["TOUCH"].support == 2
    assert read.confusion_rows()[0] == ("PASS", [1, 1, 0, 0])
    assert read.scalars["balanced_accuracy"] == pytest.approx(evaluation.balanced_accuracy)
    assert read == ModelMetrics.from_evaluation(evaluation, best_epoch=4)


def test_a_view_evaluation_has_no_pass_numbers() -> None:
    written = ModelMetrics.from_evaluation(evaluate([0, 1], [0, 1], ("TOP", "SIDE"))).to_json()
    assert "pass_recall" not in written and ModelMetrics.from_json(written).pass_recall is None


@pytest.mark.parametrize(
    "stored",
    [
        {"labels": ["PASS", "SWEEP"], "confusion_matrix": [[1, 2, 3]]},  # not square
        {"labels": ["PASS", "SWEEP"], "confusion_matrix": [[1, 2], ["x", 0]]},
        {"confusion_matrix": [[1]]},  # no labels to name the rows
    ],
)
def test_a_malformed_matrix_is_left_out_rather_than_shown_wrong(stored: dict) -> None:  # type: ignore[type-arg]
    assert ModelMetrics.from_json(stored).confusion_rows() == []


def test_partial_class_rows_are_left_out_and_the_scalar_pass_recall_still_counts() -> None:
    read = ModelMetrics.from_json({"pass_recall": 0.7, "per_class": {"PASS": {"recall": 0.2}}, "flag": True, "name": "x"})
    assert read.per_class == {} and read.pass_recall == 0.7
    assert read.scalars == {"pass_recall": 0.7}


def test_classes_come_back_in_the_labels_order_whatever_order_the_database_keeps_their_keys_in() -> None:
    stored = ModelMetrics.from_evaluation(evaluate([0, 1, 2, 3, 2, 3], [0, 1, 2, 3, 3, 3], DEFECTS)).to_json()
    # PostgreSQL's jsonb hands an object's keys back sorted by length, then bytes: TOUCH before WOBBLE.
    stored["per_class"] = {name: stored["per_class"][name] for name in sorted(stored["per_class"], key=lambda k: (len(k), k))}
    assert list(stored["per_class"]) == ["PASS", "SWEEP", "TOUCH", "WOBBLE"]
    assert list(ModelMetrics.from_json(json.loads(json.dumps(stored))).per_class) == list(DEFECTS)
