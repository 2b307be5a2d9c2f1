"""Probe P-K: an import never puts two boxes of different labels on one loop, whether the other box is in the library
or comes with the same import."""

from __future__ import annotations

from annotations.models import Annotation
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox
from tests.interop.test_probe_leftovers_a import MAPPING, dataset, pending_model_box


def test_two_imported_boxes_of_different_labels_on_one_loop_do_not_both_come_in(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """The lot's file holds the loop twice, TOUCH and SWEEP (two people labelled it in the desktop tool): both landed, and
    training learned the loop twice, with two labels, which the import refuses for a box already in the library."""
    image = make_image("004_TOP.png", 80, 60)
    boxes = ForeignBox("touch", 20, 20, 9, 9), ForeignBox("sweep", 21, 19, 10, 10), ForeignBox("sweep", 55, 20, 9, 9)
    plan = plan_import(dataset(*boxes), MAPPING)
    assert plan.box_count == 2
    assert [(item.label, item.reason) for item in plan.skipped] == [
        (
            "sweep",
            "conflicts with another box of this import on the same loop (it says TOP TOUCH and comes in; "
            "if TOP SWEEP is right, correct it on the annotation page)",
        )
    ]
    apply_plan(plan, annotator)
    assert sorted((a.x, a.defect) for a in Annotation.objects.filter(image=image)) == [(20, "TOUCH"), (55, "SWEEP")]


def test_a_second_imported_box_cannot_relabel_the_model_box_the_first_settled(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """The first imported box accepts the model's TOUCH on its loop; a second one there saying SWEEP came in beside it."""
    image = make_image("004_TOP.png", 80, 60)
    model_box = pending_model_box(image)
    plan = plan_import(dataset(ForeignBox("touch", 20, 20, 9, 9), ForeignBox("sweep", 21, 19, 10, 10)), MAPPING)
    assert [item.reason.split(" (")[0] for item in plan.skipped] == ["conflicts with another box of this import on the same loop"]
    result = apply_plan(plan, annotator)
    assert (result.boxes_created, result.accepted, result.corrected) == (0, 1, 0)
    assert list(Annotation.objects.filter(image=image)) == [model_box]
