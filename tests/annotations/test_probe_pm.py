"""Statistics as docs/annotating.md tells it: model boxes pending review (or rejected) are not counted as training data."""

from __future__ import annotations

from annotations.models import Annotation
from annotations.stats import dataset_stats


def test_boxes_per_picture_leaves_out_pending_and_rejected_model_boxes_as_the_other_counts_do(make_image):  # type: ignore[no-untyped-def]
    """After a pre-annotation every picture holds a pending model box: the page said 3 pictures with 1 box each beside
    "1 box usable for training", and no picture without a box, though two have nothing a model may learn from."""
    drawn, pending, rejected = make_image("w1_TOP.png"), make_image("w2_TOP.png"), make_image("w3_TOP.png")
    box = {"x": 0, "y": 0, "width": 10, "height": 10, "view": "TOP"}
    Annotation.objects.create(image=drawn, defect="PASS", **box)
    Annotation.objects.create(image=pending, defect="SWEEP", source="model", review_state="pending", **box)
    Annotation.objects.create(image=rejected, defect="TOUCH", source="model", review_state="rejected", **box)
    stats = dataset_stats()
    assert stats.box_count == 1
    assert stats.boxes_per_picture == [(0, 2), (1, 1)]
