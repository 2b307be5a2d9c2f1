"""Duplicate boxes on one loop are suppressed; boxes on separate loops are kept (issue 15)."""

import numpy as np

from core.inspection.inference import suppress_duplicates


def rows(*boxes: tuple[float, float, float, float, float]) -> np.ndarray:
    return np.array(boxes, dtype=np.float32)


def test_a_box_nested_in_a_more_confident_one_is_dropped_although_their_iou_is_low():
    outer = (100, 100, 700, 600, 0.9)
    nested = (150, 150, 400, 400, 0.5)  # IoU 0.21 with outer: NMS at 0.7 keeps it
    kept = suppress_duplicates(rows(nested, outer))
    assert kept.tolist() == [list(np.float32(outer))]


def test_the_most_confident_of_overlapping_boxes_is_the_one_kept():
    kept = suppress_duplicates(rows((100, 100, 600, 600, 0.4), (110, 105, 620, 590, 0.8), (90, 95, 590, 610, 0.6)))
    assert len(kept) == 1
    assert float(kept[0, 4]) == np.float32(0.8)


def test_separate_loops_in_one_picture_are_all_kept_most_confident_first():
    left = (50, 100, 450, 600, 0.7)
    right = (500, 100, 950, 600, 0.9)
    touching_edge = (430, 120, 520, 580, 0.6)  # overlaps each loop by a small share of its own area
    kept = suppress_duplicates(rows(left, right, (800, 700, 990, 990, 0.3)))
    assert [float(r[4]) for r in kept] == [np.float32(0.9), np.float32(0.7), np.float32(0.3)]
    assert len(suppress_duplicates(rows(left, right, touching_edge))) == 3  # 22 % of the narrow box: a loop of its own


def test_no_boxes_and_one_box_pass_through():
    assert suppress_duplicates(np.zeros((0, 5), dtype=np.float32)).shape == (0, 5)
    assert suppress_duplicates(rows((1, 1, 5, 5, 0.5))).tolist() == [[1, 1, 5, 5, 0.5]]


def test_a_picture_keeps_its_best_unsure_loop_and_only_that_one() -> None:
    from core.inspection.inference import keep_confident

    sure, other, unsure, weak = (10, 10, 90, 40, 0.8), (200, 10, 290, 40, 0.3), (10, 10, 90, 40, 0.12), (200, 10, 290, 40, 0.07)
    # Loops at the threshold are all kept, nothing below it joins them.
    assert keep_confident(rows(sure, other, weak), 0.25).tolist() == rows(sure, other).tolist()
    # No loop reaches the threshold: the most confident one alone, so the wire still gets a verdict.
    assert keep_confident(rows(weak, unsure), 0.25).tolist() == rows(unsure).tolist()
    assert keep_confident(np.zeros((0, 5), np.float32), 0.25).shape == (0, 5)
