"""The appearance picture: the box with its context, standardised, mirrored only where the class allows."""

from __future__ import annotations

import numpy as np

from core.data.prepare import crop_box
from core.shape.appearance import CONTEXT, SIZE, appearance, mirrors, recentre


def picture_with_box() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    rng = np.random.default_rng(0)
    picture = rng.integers(90, 110, size=(400, 600, 3)).astype(np.uint8)
    x, y, w, h = 200, 150, 160, 60
    picture[y + 25 : y + 30, x : x + w] = 20  # the wire
    return picture, (x, y, w, h)


def test_a_wider_crop_is_cut_back_to_the_context_the_classifier_uses():
    picture, (x, y, w, h) = picture_with_box()
    wide, exact = crop_box(picture, x, y, w, h, 1.0), crop_box(picture, x, y, w, h, CONTEXT)
    cut = recentre(wide, 1.0, CONTEXT)
    assert abs(cut.shape[0] - exact.shape[0]) <= 1 and abs(cut.shape[1] - exact.shape[1]) <= 1
    assert np.allclose(appearance(wide, 1.0), appearance(exact, CONTEXT), atol=0.15)
    # Less context than wanted: the crop is used as it is.
    narrow = crop_box(picture, x, y, w, h, 0.15)
    assert recentre(narrow, 0.15, CONTEXT) is narrow


def test_the_picture_is_standardised_and_laid_along_its_longer_side():
    picture, (x, y, w, h) = picture_with_box()
    crop = crop_box(picture, x, y, w, h, CONTEXT)
    flat = appearance(crop, CONTEXT)
    assert flat.shape == (SIZE[1], SIZE[0])
    assert abs(float(flat.mean())) < 0.05 and abs(float(flat.std()) - 1.0) < 0.1
    # A loop running top-down gives the same picture as the same loop across.
    assert np.allclose(appearance(np.ascontiguousarray(crop.transpose(1, 0, 2)), CONTEXT), flat, atol=1e-5)
    # Brightness and contrast of the X-ray do not matter.
    assert np.allclose(appearance((crop.astype(np.float32) * 0.5 + 40).astype(np.uint8), CONTEXT), flat, atol=0.1)


def test_side_pictures_are_not_turned_upside_down():
    flat = np.arange(SIZE[0] * SIZE[1], dtype=np.float32).reshape(SIZE[1], SIZE[0])
    top, side = mirrors(flat, "TOP"), mirrors(flat, "SIDE")
    assert len(top) == 4 and len(side) == 2
    assert any(np.array_equal(row, flat[::-1].ravel()) for row in top)
    assert not any(np.array_equal(row, flat[::-1].ravel()) for row in side)
