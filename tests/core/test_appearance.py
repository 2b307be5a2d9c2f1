"""The appearance picture: framed on the traced wire (not the given box), standardised, mirrored only where the class allows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.data.prepare import crop_box, read_rgb8
from core.shape.appearance import CONTEXT, JITTER_COPIES, SIZE, appearance, box_in_crop, mirrors, recentre, training_rows
from interop.formats import legacy

LEGACY = Path(__file__).resolve().parents[3] / "shared" / "samples" / "legacy"


def box_framed(crop: np.ndarray) -> np.ndarray:
    """The same picture framed on the given box instead of the traced wire (what the product did first)."""
    grey = crop.mean(axis=2).astype(np.float32)
    grey = (grey - grey.mean()) / (grey.std() + 1e-6)
    return cv2.resize(grey, SIZE, interpolation=cv2.INTER_AREA)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_a_box_a_detector_drew_too_wide_gives_the_same_picture_on_real_x_rays():
    """Detected boxes are often 20-50 px wider or shifted; framing on the traced wire absorbs that."""
    traced, framed = [], []
    for image in legacy.read(LEGACY / "annotations.db").images:
        picture = read_rgb8(image.picture)
        for box in image.boxes:
            view = box.attributes["view"]
            exact = crop_box(picture, box.x, box.y, box.width, box.height, CONTEXT)
            wide = crop_box(picture, box.x - 10, box.y - 8, box.width + 40, box.height + 20, CONTEXT)
            traced.append(correlation(appearance(exact, CONTEXT, view), appearance(wide, CONTEXT, view)))
            framed.append(correlation(box_framed(exact), box_framed(wide)))
    assert len(traced) == 8
    assert sum(value > 0.9 for value in traced) >= 6, traced  # the two over-exposed PASS pictures trace poorly
    assert max(framed) < 0.75 and np.median(traced) > np.median(framed) + 0.2, (traced, framed)


def test_a_wider_crop_is_cut_back_and_knows_where_its_box_is():
    picture = np.full((400, 600, 3), 100, np.uint8)
    x, y, w, h = 200, 150, 160, 60
    wide, exact = crop_box(picture, x, y, w, h, 1.0), crop_box(picture, x, y, w, h, CONTEXT)
    cut = recentre(wide, 1.0, CONTEXT)
    assert abs(cut.shape[0] - exact.shape[0]) <= 1 and abs(cut.shape[1] - exact.shape[1]) <= 1
    assert np.allclose(box_in_crop(exact, CONTEXT), (w * CONTEXT, h * CONTEXT, w, h))
    narrow = crop_box(picture, x, y, w, h, 0.15)
    assert recentre(narrow, 0.15, CONTEXT) is narrow


def test_the_picture_is_standardised_and_ignores_exposure():
    image = legacy.read(LEGACY / "annotations.db").images[1]
    box = image.boxes[0]
    crop = crop_box(read_rgb8(image.picture), box.x, box.y, box.width, box.height, CONTEXT)
    flat = appearance(crop, CONTEXT, "TOP")
    assert flat.shape == (SIZE[1], SIZE[0])
    assert abs(float(flat.mean())) < 0.05 and 0.5 < float(flat.std()) <= 1.0  # standardised, then averaged down
    darker = np.clip(crop.astype(np.float32) * 0.7 + 20, 0, 255).astype(np.uint8)
    assert correlation(appearance(darker, CONTEXT, "TOP"), flat) > 0.95


def test_side_pictures_are_not_turned_upside_down_and_training_adds_jittered_boxes():
    flat = np.arange(SIZE[0] * SIZE[1], dtype=np.float32).reshape(SIZE[1], SIZE[0])
    top, side = mirrors(flat, "TOP"), mirrors(flat, "SIDE")
    assert len(top) == 4 and len(side) == 2
    assert any(np.array_equal(row, flat[::-1].ravel()) for row in top)
    assert not any(np.array_equal(row, flat[::-1].ravel()) for row in side)
    image = legacy.read(LEGACY / "annotations.db").images[1]
    box = image.boxes[0]
    crop = crop_box(read_rgb8(image.picture), box.x, box.y, box.width, box.height, CONTEXT)
    rows = training_rows(crop, CONTEXT, "TOP", np.random.default_rng(0))
    assert rows.shape == ((1 + JITTER_COPIES) * 4, SIZE[0] * SIZE[1])
    assert np.array_equal(rows, training_rows(crop, CONTEXT, "TOP", np.random.default_rng(0)))  # drawn from the seed
