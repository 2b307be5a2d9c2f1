"""Re-probing today's changes to interop: an import settling the model boxes that wait for review."""

from __future__ import annotations

from annotations.models import Annotation
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.mapping import clean

MAPPING = clean({"labels": {"touch": {"defect": "TOUCH", "view": "TOP"}, "sweep": {"defect": "SWEEP", "view": "TOP"}}})


def test_importing_a_box_already_there_again_leaves_the_loop_alone(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """A loop holding a person's box and the model's box still waiting for review (the import before the settling kept
    them side by side, or the person drew theirs on the annotation page): importing the same lot again corrected the
    model's box onto the person's, two identical boxes on one loop, each counted in training."""
    image = make_image("004_TOP.png", 80, 60)
    human = Annotation.objects.create(image=image, x=21, y=19, width=10, height=10, view="TOP", defect="SWEEP", source="human")
    model_box = Annotation.objects.create(
        image=image, x=20, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state="pending"
    )
    again = ForeignDataset("csv", images=[ForeignImage("004_TOP.png", boxes=[ForeignBox("sweep", 21, 19, 10, 10)])], labels=["sweep"])
    plan = plan_import(again, MAPPING)
    assert plan.settled_count == 0 and plan.box_count == 0
    assert [skipped.reason for skipped in plan.skipped] == ["duplicate (the same box is already there)"]
    result = apply_plan(plan, annotator)
    assert (result.boxes_created, result.accepted, result.corrected) == (0, 0, 0)
    model_box.refresh_from_db()
    assert (model_box.defect, model_box.x, model_box.review_state) == ("TOUCH", 20, "pending")
    assert set(Annotation.objects.filter(image=image)) == {human, model_box}
