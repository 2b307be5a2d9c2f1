"""Probe pt: the inspection report of real pictures, where the detector misses the loop of one view of a wire."""

from __future__ import annotations

from core.inspection.reports import InspectionReport
from core.inspection.verdicts import wire_verdict
from tests.core.test_verdicts import box, picture


def test_a_view_given_but_without_a_loop_is_not_asked_for_again() -> None:
    """901_TOP.jpg and 901_SIDE.jpg were both inspected; the detector found no loop in the SIDE picture, and the note
    told the inspector to "Add the SIDE picture (901_SIDE.png) for a two-view verdict", a picture already there."""
    verdict = wire_verdict("901", [picture("901", "TOP", box("WOBBLE", 0.8)), picture("901", "SIDE")])
    assert verdict.verdict == "WOBBLE" and not verdict.complete
    assert "901_SIDE.png: no wire loop was found." in verdict.note
    assert "Add the" not in verdict.note
    assert "rests on the TOP view only" in verdict.note


def test_a_missing_view_is_still_asked_for() -> None:
    verdict = wire_verdict("w7", [picture("w7", "SIDE", box("SWEEP", 0.8))])
    assert "Add the TOP picture (w7_TOP.png) for a two-view verdict." in verdict.note


def test_a_wire_without_any_verdict_is_not_counted_as_one_with_one_view_only() -> None:
    """Six real pictures, three wires with both views, no loop found anywhere: the job page said "3 wires, 3 with one
    view only, 3 without a verdict", while every wire had both of its pictures."""
    pictures = [picture(wire, view) for wire in ("901", "902", "903") for view in ("TOP", "SIDE")]
    pictures[0] = picture("901", "TOP", box("TOUCH", 0.9))
    counts = InspectionReport(pictures).counts()
    assert counts["wires"] == 3 and counts["wires_without_verdict"] == 2
    assert counts["wires_incomplete"] == 1  # 901: a verdict from its TOP view only
