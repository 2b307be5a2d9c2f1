"""One verdict per wire from its two views: worst case, highest confidence, ties, missing views."""

from __future__ import annotations

import pytest

from core.inspection.verdicts import BoxPrediction, Finding, PictureResult, decide, wire_verdict, wire_verdicts


def box(defect: str, confidence: float, view: str = "TOP") -> BoxPrediction:
    return BoxPrediction(10, 10, 60, 40, 0.9, view, 0.99, defect, confidence)


def picture(wire: str, view: str, *boxes: BoxPrediction, error: str = "") -> PictureResult:
    return PictureResult(f"{wire}_{view}.png", wire, view, tuple(boxes), error)


def test_worst_case_takes_the_more_severe_view_even_when_less_confident() -> None:
    verdict = wire_verdict("w1", [picture("w1", "TOP", box("TOUCH", 0.4)), picture("w1", "SIDE", box("SWEEP", 0.95))], rule="worst")
    assert (verdict.verdict, verdict.deciding_view, verdict.confidence) == ("TOUCH", "TOP", 0.4)
    assert verdict.complete and verdict.note == ""


def test_confidence_rule_takes_the_more_confident_view() -> None:
    pictures = [picture("w1", "TOP", box("TOUCH", 0.4)), picture("w1", "SIDE", box("SWEEP", 0.95))]
    verdict = wire_verdict("w1", pictures, rule="confidence")
    assert (verdict.verdict, verdict.deciding_view) == ("SWEEP", "SIDE")


def test_worst_case_same_class_is_decided_by_the_more_confident_view() -> None:
    verdict = wire_verdict("w1", [picture("w1", "TOP", box("WOBBLE", 0.9)), picture("w1", "SIDE", box("WOBBLE", 0.6))], rule="worst")
    assert (verdict.verdict, verdict.deciding_view, verdict.confidence) == ("WOBBLE", "TOP", 0.9)


def test_confidence_tie_is_decided_by_the_more_severe_class() -> None:
    pictures = [picture("w1", "TOP", box("SWEEP", 0.7)), picture("w1", "SIDE", box("PASS", 0.7))]
    verdict = wire_verdict("w1", pictures, rule="confidence")
    assert (verdict.verdict, verdict.deciding_view) == ("SWEEP", "TOP")


@pytest.mark.parametrize("rule", ["worst", "confidence"])
def test_full_tie_is_decided_by_the_side_view(rule: str) -> None:
    verdict = wire_verdict("w1", [picture("w1", "TOP", box("PASS", 0.8)), picture("w1", "SIDE", box("PASS", 0.8))], rule=rule)  # type: ignore[arg-type]
    assert (verdict.verdict, verdict.deciding_view) == ("PASS", "SIDE")


def test_tie_break_does_not_depend_on_input_order() -> None:
    findings = [Finding("SIDE", "TOUCH", 0.5), Finding("TOP", "TOUCH", 0.5)]
    assert decide(findings) == decide(list(reversed(findings)))


def test_several_boxes_in_one_picture_give_its_worst_finding() -> None:
    one = picture("w1", "TOP", box("PASS", 0.99), box("WOBBLE", 0.51), box("SWEEP", 0.8))
    assert one.finding("worst") == Finding("TOP", "WOBBLE", 0.51, "w1_TOP.png")
    assert one.finding("confidence") == Finding("TOP", "PASS", 0.99, "w1_TOP.png")


def test_missing_partner_gives_a_one_view_verdict_with_a_note() -> None:
    verdict = wire_verdict("w7", [picture("w7", "SIDE", box("SWEEP", 0.8))])
    assert verdict.verdict == "SWEEP" and verdict.deciding_view == "SIDE"
    assert not verdict.complete
    assert "w7_TOP.png" in verdict.note


def test_unreadable_partner_is_named_in_the_note_and_the_other_view_decides() -> None:
    verdict = wire_verdict("w2", [picture("w2", "TOP", error="The picture is damaged."), picture("w2", "SIDE", box("PASS", 0.9))])
    assert verdict.verdict == "PASS" and not verdict.complete
    assert "w2_TOP.png: The picture is damaged." in verdict.note


def test_wire_with_no_usable_picture_has_no_verdict() -> None:
    verdict = wire_verdict("w3", [picture("w3", "TOP"), picture("w3", "SIDE", error="Empty file.")])
    assert verdict.verdict is None and verdict.deciding_view is None
    assert "no wire loop was found" in verdict.note and "Empty file." in verdict.note


def test_wire_verdicts_group_by_wire_in_first_seen_order() -> None:
    pictures = [picture("b", "TOP", box("PASS", 0.9)), picture("a", "TOP", box("TOUCH", 0.9)), picture("b", "SIDE", box("SWEEP", 0.6))]
    verdicts = wire_verdicts(pictures)
    assert [(v.wire_id, v.verdict) for v in verdicts] == [("b", "SWEEP"), ("a", "TOUCH")]


def test_unknown_rule_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="evidence, worst, confidence"):
        decide([Finding("TOP", "PASS", 0.5)], "majority")  # type: ignore[arg-type]


def probable(defect: str, probabilities: tuple[float, float, float, float], view: str) -> BoxPrediction:
    return BoxPrediction(10, 10, 60, 40, 0.9, view, 0.99, defect, max(probabilities), probabilities)


def test_evidence_multiplies_both_views_probabilities() -> None:
    # TOP leans SWEEP, SIDE leans TOUCH, but both give PASS a fair share: together PASS is most likely.
    top = probable("SWEEP", (0.40, 0.45, 0.05, 0.10), "TOP")
    side = probable("TOUCH", (0.40, 0.05, 0.10, 0.45), "SIDE")
    verdict = wire_verdict("w1", [picture("w1", "TOP", top), picture("w1", "SIDE", side)], rule="evidence")
    expected = [0.16, 0.0225, 0.005, 0.045]
    assert verdict.verdict == "PASS"
    assert verdict.confidence == pytest.approx(0.16 / sum(expected))
    assert wire_verdict("w1", [picture("w1", "TOP", top), picture("w1", "SIDE", side)], rule="worst").verdict == "TOUCH"


def test_evidence_of_one_view_is_that_views_argmax() -> None:
    verdict = wire_verdict("w1", [picture("w1", "SIDE", probable("WOBBLE", (0.1, 0.2, 0.6, 0.1), "SIDE"))], rule="evidence")
    assert (verdict.verdict, verdict.deciding_view, verdict.complete) == ("WOBBLE", "SIDE", False)
    assert verdict.confidence == pytest.approx(0.6)


def test_evidence_without_probabilities_falls_back_to_worst_case_with_a_note() -> None:
    verdict = wire_verdict("w1", [picture("w1", "TOP", box("TOUCH", 0.4)), picture("w1", "SIDE", box("SWEEP", 0.95))], rule="evidence")
    assert verdict.verdict == "TOUCH" and "worst case" in verdict.note


def test_evidence_verdict_survives_json() -> None:
    top = probable("SWEEP", (0.40, 0.45, 0.05, 0.10), "TOP")
    verdict = wire_verdict("w1", [picture("w1", "TOP", top)], rule="evidence")
    assert type(verdict).from_json(verdict.to_json()) == verdict


def test_the_default_rule_is_evidence_as_chosen_on_real_wires() -> None:
    from core.inspection.verdicts import DEFAULT_RULE

    assert DEFAULT_RULE == "evidence"
    top, side = probable("TOUCH", (0.05, 0.25, 0.3, 0.4), "TOP"), probable("SWEEP", (0.05, 0.6, 0.3, 0.05), "SIDE")
    assert wire_verdict("w1", [picture("w1", "TOP", top), picture("w1", "SIDE", side)]).rule == "evidence"
