"""Leftovers other probes noticed: the report's advice for a picture in which no wire loop was found."""

from __future__ import annotations

import pytest

from core.inspection.reports import InspectionReport
from core.inspection.verdicts import PictureResult


def _no_box_error(thresholds: dict[str, float]) -> str:
    report = InspectionReport([PictureResult("w3_SIDE.png", "w3", "SIDE")], thresholds=thresholds)
    (row,) = report.rows()
    assert row["success"] is False
    return str(row["error"])


@pytest.mark.parametrize("threshold", [0.25, 0.5, 0.05])
def test_a_picture_without_a_loop_is_not_told_to_lower_the_threshold(threshold: float) -> None:
    """Its best loop is kept down to 0.05 whatever the threshold, so lowering the threshold (to 0.05 or above) changes
    nothing; the sentence said to, and the user ran the inspection again to the same answer."""
    error = _no_box_error({"detection": threshold})
    assert "lower the threshold" not in error
    assert "0.05" in error and "train the detector again" in error


def test_below_the_floor_the_sentence_names_the_threshold_used() -> None:
    """A threshold under 0.05 is the floor itself: nothing was found even at that confidence."""
    assert "0.01" in _no_box_error({"detection": 0.01})
