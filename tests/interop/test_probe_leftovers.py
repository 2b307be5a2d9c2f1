"""Leftovers other probes noticed: a human box where a rejected model box is, the export's silent leave-outs."""

from __future__ import annotations

from annotations.models import Annotation
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.mapping import clean

MAPPING = clean({"labels": {"touch": {"defect": "TOUCH", "view": "TOP"}}})


def rejected_model_box(image) -> Annotation:  # type: ignore[no-untyped-def]
    return Annotation.objects.create(
        image=image, x=20, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state="rejected"
    )


def test_human_box_where_a_rejected_model_box_is_imported_not_skipped_as_duplicate(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """A reviewer rejected the model's box; a human then drew the same box in another tool. The import
    called the human's box a duplicate of the rejected one and left it out: the box was lost."""
    image = make_image("004_TOP.png", 80, 60)
    rejected_model_box(image)
    dataset = ForeignDataset("csv", images=[ForeignImage("004_TOP.png", boxes=[ForeignBox("touch", 20, 20, 9, 9)])], labels=["touch"])
    plan = plan_import(dataset, MAPPING)
    assert plan.skipped == [] and plan.box_count == 1
    apply_plan(plan, annotator)
    assert Annotation.objects.for_training().filter(image=image, source="human").count() == 1


def test_rejected_box_imported_again_is_still_a_duplicate(make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("005_TOP.png", 80, 60)
    rejected_model_box(image)
    box = ForeignBox("touch", 20, 20, 9, 9, attributes={"review_state": "rejected"})
    dataset = ForeignDataset("cvat", images=[ForeignImage("005_TOP.png", boxes=[box])], labels=["touch"])
    plan = plan_import(dataset, MAPPING)
    assert plan.box_count == 0 and [s.reason for s in plan.skipped] == ["duplicate (the same box is already there)"]
