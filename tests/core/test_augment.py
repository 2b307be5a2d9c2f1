"""Augmentation: classifier tensors have the right shape, PASS oversampled."""

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
    oversample_indices,
)
from core.data.synthetic import render_with_truth

SIZE = 256


def _wire_and_mask(index: int, view: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    rendered = render_with_truth(index, view, "SWEEP", seed=0, image_size=SIZE)
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    cv2.polylines(mask, [np.round(rendered.centre_line).astype(np.int32)], False, 255, 1)
    return rendered.picture, mask, rendered.box


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
    indices = oversample_indices(labels, {0: PASS_OVERSAMPLE_FACTOR})
    assert indices.count(0) == PASS_OVERSAMPLE_FACTOR and indices.count(4) == PASS_OVERSAMPLE_FACTOR
    assert [indices.count(i) for i in (1, 2, 3)] == [1, 1, 1]
    with pytest.raises(ValueError):
        oversample_indices(labels, {0: 0})


def test_class_aware_transform_uses_heavy_pipeline_for_pass_only() -> None:
    transform = class_aware_transform("defect", 64, heavy_classes={0}, seed=0)
    assert isinstance(transform, ClassAwareTransform)
    picture, _, _ = _wire_and_mask(0, "TOP")
    assert transform(picture, 0).shape == (3, 64, 64)
    heavy_steps = {type(t).__name__ for t in transform.heavy.transforms}
    assert "ElasticTransform" in heavy_steps and "ElasticTransform" not in {type(t).__name__ for t in transform.standard.transforms}
