"""Out-of-fold scoring shared by the real-data benchmark and the app's cross-validation job."""

from __future__ import annotations

import math

import pytest

from core.evaluation.outoffold import FoldOutcome, balanced_accuracy, confusion, recall_table, summarise, trust_table, wire_interval

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


def _wires(seed: int, truth: list[str], predicted: list[str]) -> FoldOutcome:
    return FoldOutcome(0, seed, wire_truth=truth, wire_predicted=predicted, wire_ids=[f"w{n}" for n in range(len(truth))])


def test_the_wire_interval_is_wide_on_few_wires_and_narrows_with_more():
    # Three of four wires of each class right: pooled 0.75 whatever the draw's size.
    few = _wires(0, ["SWEEP"] * 4 + ["TOUCH"] * 4, ["SWEEP"] * 3 + ["TOUCH"] + ["TOUCH"] * 3 + ["SWEEP"])
    many = _wires(0, ["SWEEP"] * 40 + ["TOUCH"] * 40, ["SWEEP"] * 30 + ["TOUCH"] * 10 + ["TOUCH"] * 30 + ["SWEEP"] * 10)
    small, large = wire_interval([few], LABELS), wire_interval([many], LABELS)
    assert small["estimate"] == large["estimate"] == pytest.approx(0.75)
    assert small["low"] < large["low"] <= 0.75 <= large["high"] < small["high"]
    assert (small["wires"], small["seeds"], small["level"]) == (8, 1, 0.95)
    assert large["high"] - large["low"] < 0.25 < small["high"] - small["low"]
    # Every wire right: no draw can say otherwise; a class outside the labels is not counted.
    perfect = wire_interval([_wires(0, ["SWEEP", "TOUCH", "PASS"], ["SWEEP", "TOUCH", "SWEEP"])], ("SWEEP", "TOUCH"))
    assert (perfect["estimate"], perfect["low"], perfect["high"], perfect["wires"]) == (1.0, 1.0, 1.0, 2)
    assert wire_interval([_wires(0, ["PASS"], ["PASS"])], ("SWEEP",)) == {}


def test_the_wire_interval_averages_seeds_and_draws_the_same_wires_for_each():
    truth = ["SWEEP"] * 5 + ["TOUCH"] * 5
    right = _wires(0, truth, truth)
    wrong = _wires(1, truth, ["TOUCH"] * 5 + ["SWEEP"] * 5)
    both = wire_interval([right, wrong], LABELS)
    # Seed 0 is always right and seed 1 always wrong on the very same wires: every draw averages to 0.5.
    assert (both["estimate"], both["low"], both["high"], both["seeds"], both["wires"]) == (0.5, 0.5, 0.5, 2, 10)
    # Two seeds that agree wire by wire carry no more evidence than one: drawn together, the interval
    # stays that of one seed; counted as separate wires (no ids) it would look narrower than it is.
    half = ["SWEEP"] * 3 + ["TOUCH"] * 2 + ["TOUCH"] * 3 + ["SWEEP"] * 2
    one = wire_interval([_wires(0, truth, half)], LABELS)
    twice = wire_interval([_wires(0, truth, half), _wires(1, truth, half)], LABELS)
    apart = wire_interval([FoldOutcome(0, s, wire_truth=truth, wire_predicted=half) for s in (0, 1)], LABELS)
    assert one["estimate"] == twice["estimate"] == apart["estimate"] == pytest.approx(0.6)
    assert (twice["low"], twice["high"]) == (one["low"], one["high"])
    assert apart["wires"] == 20 and apart["high"] - apart["low"] < twice["high"] - twice["low"]


def test_the_summary_carries_the_wire_interval_and_it_survives_json():
    outcome = _wires(0, ["SWEEP", "SWEEP", "TOUCH", "TOUCH"], ["SWEEP", "TOUCH", "TOUCH", "TOUCH"])
    again = FoldOutcome.from_json(outcome.to_json())
    assert again.wire_ids == outcome.wire_ids
    summary = summarise([again], LABELS, ("SWEEP", "WOBBLE", "TOUCH"))
    assert summary["wire_interval"]["wire_bacc"]["estimate"] == pytest.approx(0.75)
    assert summary["wire_interval"]["wire_bacc_three"]["estimate"] == pytest.approx(0.75)
    assert summarise([FoldOutcome(0, 0, ["SWEEP"], ["SWEEP"])], LABELS)["wire_interval"] == {}


def test_the_trust_table_splits_the_verdicts_at_each_confidence_line_and_counts_the_right_ones():
    truth = ["SWEEP", "SWEEP", "TOUCH", "TOUCH", "WOBBLE"]
    predicted = ["SWEEP", "TOUCH", "TOUCH", "none", "WOBBLE"]
    sure = FoldOutcome(0, 0, wire_truth=truth, wire_predicted=predicted, wire_confidence=[0.9, 0.45, 0.6, 0.0, 0.55])
    unknown = FoldOutcome(1, 0, wire_truth=["PASS"], wire_predicted=["SWEEP"])  # recorded no confidences: left out
    rows = {row["line"]: row for row in trust_table([sure, unknown], lines=(0.5, 0.6, 0.95))}
    assert rows[0.5] == {"line": 0.5, "sure": 3, "sure_right": 3, "share": pytest.approx(0.6), "unsure": 2, "unsure_right": 0}
    assert (rows[0.6]["sure"], rows[0.6]["sure_right"], rows[0.6]["unsure"], rows[0.6]["unsure_right"]) == (2, 2, 3, 1)
    assert (rows[0.95]["sure"], rows[0.95]["unsure_right"]) == (0, 3)
    again = summarise([FoldOutcome.from_json(sure.to_json()), unknown], LABELS)["wire_trust"]
    assert again == trust_table([sure], lines=(0.4, 0.5, 0.6, 0.7, 0.8))
    assert summarise([unknown], LABELS)["wire_trust"] == []
