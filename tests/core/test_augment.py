"""Augmentation: boxes follow the wire, classifier tensors have the right shape, PASS oversampled."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from core.data.augment import (
    PASS_OVERSAMPLE_FACTOR,
    ClassAwareTransform,
    augmentations,
    class_aware_transform,
    classifier_transform,
    default_oversampling,
    detection_transform,
    oversample_indices,
)
from core.data.synthetic import render_with_truth

SIZE = 256


def _wire_and_mask(index: int, view: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    rendered = render_with_truth(index, view, "SWEEP", seed=0, image_size=SIZE)
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    cv2.polylines(mask, [np.round(rendered.centre_line).astype(np.int32)], False, 255, 1)
    return rendered.picture, mask, rendered.box


@pytest.mark.parametrize("view", ["TOP", "SIDE"])
def test_flipped_or_rotated_box_still_frames_the_wire(view: str) -> None:
    picture, mask, box = _wire_and_mask(3, view)
    rows, cols = np.nonzero(mask)
    # The generator's box adds bonds and a margin around the centre line: keep that ratio, roughly.
    margin_ratio = box[2] * box[3] / ((np.ptp(cols) + 1) * (np.ptp(rows) + 1))
    moved = 0
    for seed in range(12):
        out = detection_transform(heavy=True, seed=seed)(image=picture, mask=mask, bboxes=[box], labels=["SWEEP"])
        assert out["labels"] == ["SWEEP"]
        (x, y, w, h), wire = out["bboxes"][0], out["mask"] > 0
        rows, cols = np.nonzero(wire)
        inside = (cols >= x - 1) & (cols <= x + w + 1) & (rows >= y - 1) & (rows <= y + h + 1)
        assert inside.mean() > 0.97, f"seed {seed}: only {inside.mean():.0%} of the wire inside its box"
        tight = (np.ptp(cols) + 1) * (np.ptp(rows) + 1)
        assert w * h / tight < 2.0 * margin_ratio, f"seed {seed}: the box grew far beyond the wire"
        assert 0 <= x and 0 <= y and x + w <= SIZE and y + h <= SIZE
        moved += not np.array_equal(wire, mask > 0)
    assert moved >= 8  # the pipeline really flipped or rotated most of the time


def test_detection_transform_leaves_out_shape_changing_steps() -> None:
    names = {type(t).__name__ for t in augmentations("detection", heavy=True)}
    assert {"Affine", "HorizontalFlip", "VerticalFlip", "GaussNoise", "RandomGamma", "GaussianBlur"} <= names
    assert not names & {"ElasticTransform", "CoarseDropout"}


def test_heavy_classifier_pipeline_has_every_listed_step() -> None:
    names = {type(t).__name__ for t in augmentations("defect", heavy=True)}
    expected = {"Affine", "RandomBrightnessContrast", "RandomGamma", "GaussianBlur", "GaussNoise", "HorizontalFlip", "VerticalFlip"}
    assert expected | {"ElasticTransform", "CoarseDropout"} <= names
    assert "VerticalFlip" not in {type(t).__name__ for t in augmentations("view", heavy=True)}


@pytest.mark.parametrize("heavy", [False, True])
def test_classifier_transform_gives_square_normalised_tensor(heavy: bool) -> None:
    picture, _, (x, y, w, h) = _wire_and_mask(1, "TOP")
    crop = picture[y : y + h, x : x + w]
    tensor = classifier_transform("defect", 96, heavy=heavy, train=True, seed=0)(image=crop)["image"]
    assert isinstance(tensor, torch.Tensor) and tensor.shape == (3, 96, 96) and tensor.dtype == torch.float32
    assert -3 < float(tensor.mean()) < 3


def test_evaluation_transform_is_deterministic() -> None:
    picture, _, _ = _wire_and_mask(2, "SIDE")
    transform = classifier_transform("view", 64, heavy=True, train=False)
    assert torch.equal(transform(image=picture)["image"], transform(image=picture)["image"])


def test_pass_is_oversampled_twenty_times() -> None:
    labels = [0, 1, 2, 3, 0]
    indices = oversample_indices(labels, default_oversampling("defect"))
    assert indices.count(0) == PASS_OVERSAMPLE_FACTOR and indices.count(4) == PASS_OVERSAMPLE_FACTOR
    assert [indices.count(i) for i in (1, 2, 3)] == [1, 1, 1]
    assert default_oversampling("view") == {}
    with pytest.raises(ValueError):
        oversample_indices(labels, {0: 0})


def test_class_aware_transform_uses_heavy_pipeline_for_pass_only() -> None:
    transform = class_aware_transform("defect", 64, heavy_classes={0}, seed=0)
    assert isinstance(transform, ClassAwareTransform)
    picture, _, _ = _wire_and_mask(0, "TOP")
    assert transform(picture, 0).shape == (3, 64, 64)
    heavy_steps = {type(t).__name__ for t in transform.heavy.transforms}
    assert "ElasticTransform" in heavy_steps and "ElasticTransform" not in {type(t).__name__ for t in transform.standard.transforms}
