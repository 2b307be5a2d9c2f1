"""Pictures holding several wire loops, through pre-annotation and the review queue."""

from __future__ import annotations

from annotations.choices import ReviewState, Source
from annotations.models import Annotation, Image
from review.prediction import review_queue


def _loop(image: Image, defect: str, x: float) -> Annotation:
    """A pending model box on one of the picture's loops (loops side by side, ``x`` apart)."""
    return Annotation.objects.create(
        image=image,
        x=x,
        y=10,
        width=20,
        height=10,
        view=image.view or "TOP",
        defect=defect,
        source=Source.MODEL,
        review_state=ReviewState.PENDING,
        confidences={"detection": 0.9, "view": 0.95, "defect": 0.9},
    )


def test_a_loop_is_not_said_to_disagree_with_its_other_view_because_a_neighbouring_loop_of_its_own_picture_differs(
    make_image,
) -> None:  # type: ignore[no-untyped-def]
    """A TOP picture holding a TOUCH loop and a PASS loop, its SIDE picture one TOUCH loop: the queue put the TOP TOUCH
    box among "views disagree", though the other view says TOUCH too; only the PASS loop of the same picture differed."""
    top, side = make_image("w1_TOP.png", width=120), make_image("w1_SIDE.png", width=120)
    agreeing = _loop(top, "TOUCH", 5)
    lonely_pass = _loop(top, "PASS", 60)
    side_touch = _loop(side, "TOUCH", 5)
    reasons = {item.annotation.pk: item.reason for item in review_queue()}
    assert reasons[lonely_pass.pk] == "views disagree"
    assert reasons[side_touch.pk] == "views disagree"
    assert reasons[agreeing.pk] == "routine"
