"""Reported TOP boxes snapped to the traced wire (``core.inspection.inference.snapped_box``), on real-dev.

The cpu-quick detector draws TOP boxes loosely around the thin wire, so many miss an annotator's box at
IoU 0.5 and detection AP falls. Snapped to the traced wire and framed as annotators frame a TOP loop,
a detector-like box (enlarged or shrunk, shifted) lands on the annotator's box. SIDE boxes stay as drawn.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from core.data.prepare import read_rgb8
from core.inspection.inference import snapped_box
from interop.dataset import ForeignBox
from interop.formats import legacy

REAL_DEV = Path(__file__).resolve().parents[3] / "shared" / "samples" / "real-dev"


def iou(a: np.ndarray, b: np.ndarray) -> float:
    across = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    down = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = across * down
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


def detector_like(box: ForeignBox, draw: random.Random) -> np.ndarray:
    """The annotated box 85-135 % as wide and high, its centre moved by up to 18 % of its size."""
    width, height = box.width * draw.uniform(0.85, 1.35), box.height * draw.uniform(0.85, 1.35)
    centre_x = box.x + box.width / 2 + draw.uniform(-0.18, 0.18) * box.width
    centre_y = box.y + box.height / 2 + draw.uniform(-0.18, 0.18) * box.height
    return np.array([centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2, 0.5])


def test_top_boxes_snapped_to_their_wire_land_on_the_annotators_box() -> None:
    draw = random.Random(0)
    drawn, snapped = [], []
    for image in legacy.read(REAL_DEV / "annotations.db").images:
        picture = read_rgb8(image.picture)
        for box in image.boxes:
            truth = np.array([box.x, box.y, box.x + box.width, box.y + box.height])
            detected = detector_like(box, draw)
            view = str(box.attributes["view"])
            result = snapped_box(picture, detected, view)
            if view == "SIDE":
                assert np.array_equal(result, detected)
                continue
            assert result[4] == detected[4]
            drawn.append(iou(detected, truth))
            snapped.append(iou(result, truth))
    assert len(snapped) == 57
    drawn_, snapped_ = np.array(drawn), np.array(snapped)
    # Measured: mean IoU 0.67 as drawn, 0.83 snapped; tenth percentile 0.57 -> 0.77; above 0.75: 8 -> 53 of 57.
    assert snapped_.mean() > drawn_.mean() + 0.1, (snapped_.mean(), drawn_.mean())
    assert np.percentile(snapped_, 10) > np.percentile(drawn_, 10) + 0.1
    assert (snapped_ > 0.75).sum() >= 45, (snapped_ > 0.75).sum()


def test_a_snapped_box_stays_inside_the_picture_and_a_box_without_a_wire_stays_as_drawn() -> None:
    image = next(i for i in legacy.read(REAL_DEV / "annotations.db").images if i.boxes[0].attributes["view"] == "TOP")
    picture = read_rgb8(image.picture)
    box = image.boxes[0]
    # The picture cut so the wire's box touches its left and top edges.
    cut = picture[int(box.y) + 5 :, int(box.x) + 5 :]
    row = np.array([0.0, 0.0, box.width - 5, box.height - 5, 0.9])
    result = snapped_box(cut, row, "TOP")
    assert result[0] >= 0 and result[1] >= 0 and result[2] <= cut.shape[1] and result[3] <= cut.shape[0]
    assert result[2] > result[0] and result[3] > result[1]
    flat = np.full((300, 400, 3), 128, np.uint8)
    still = np.array([50.0, 60.0, 150.0, 100.0, 0.4])
    assert np.array_equal(snapped_box(flat, still, "TOP"), still)
