"""Augmentation per model type, with albumentations.

Two strengths: ``standard`` (small shifts, flips, light contrast) and ``heavy``
(rotation, brightness/contrast, gamma, blur, noise, flips, elastic, dropout).
The heavy one serves the rare PASS class, whose pictures are repeated
``PASS_OVERSAMPLE_FACTOR`` times with a fresh random transform each time.

What the defect classes differ in is the wire's shape (bend, loop height
relative to the span), so every geometric change keeps shapes: rotation and
scale are uniform, elastic distortion is mild, crops keep their aspect ratio.
The view classifier gets no vertical flip: a SIDE picture upside down (base on
top) is no picture the camera takes. The detector keeps Ultralytics' own
augmentation and gets only the exposure changes, which leave its boxes in place.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import cv2
import numpy as np

from core.labels import ClassifierTask

# albumentations checks for updates over HTTPS at import unless told not to.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")

import albumentations as A  # noqa: E402
from albumentations.pytorch import ToTensorV2  # noqa: E402

#: How often a PASS sample is repeated (each time freshly augmented), as in the desktop tool.
PASS_OVERSAMPLE_FACTOR = 20
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

Task = ClassifierTask


def augmentations(task: Task, heavy: bool) -> list[A.BasicTransform]:
    """The random part of a classifier's pipeline (no resizing, no normalising); the detector's is Ultralytics' own."""
    replicate = cv2.BORDER_REPLICATE
    flips: list[A.BasicTransform] = [A.HorizontalFlip(p=0.5)]
    if not heavy:
        return [
            *flips,
            A.Affine(
                rotate=(-5, 5), scale=(0.95, 1.05), translate_percent=(-0.03, 0.03), rotate_method="ellipse", border_mode=replicate, p=0.5
            ),
            A.RandomBrightnessContrast(brightness_limit=0.1, contrast_limit=0.1, p=0.5),
        ]
    if task != "view":
        flips.append(A.VerticalFlip(p=0.5))
    return [
        *flips,
        A.Affine(
            rotate=(-15, 15), scale=(0.9, 1.1), translate_percent=(-0.05, 0.05), rotate_method="ellipse", border_mode=replicate, p=0.8
        ),
        *xray_photometric(),
        # Approximate mode: ~7x faster on a full picture, same look (MACHINE-NOTES).
        A.ElasticTransform(alpha=20, sigma=12, approximate=True, border_mode=replicate, p=0.3),
        A.CoarseDropout(num_holes_range=(1, 3), hole_height_range=(0.04, 0.1), hole_width_range=(0.04, 0.1), fill="random_uniform", p=0.3),
    ]


def xray_photometric() -> list[A.BasicTransform]:
    """What changes between X-ray exposures: brightness, contrast, gamma, focus and noise."""
    return [
        A.RandomBrightnessContrast(brightness_limit=0.25, contrast_limit=0.25, p=0.8),
        A.RandomGamma(gamma_limit=(70, 140), p=0.5),
        A.GaussianBlur(sigma_limit=(0.2, 1.2), p=0.3),
        A.GaussNoise(std_range=(0.01, 0.05), per_channel=False, p=0.3),
    ]


def ultralytics_augmentations() -> list[A.BasicTransform]:
    """Our transforms for Ultralytics' ``augmentations=`` training argument.

    Ultralytics already moves, scales, flips and mosaics the pictures with their
    boxes; its colour jitter does little on grey pictures. It gets the X-ray
    exposure changes, which keep boxes where they are.
    """
    return xray_photometric()


def resize_to_square(size: int) -> list[A.BasicTransform]:
    """Longest side to ``size``, then pad: the wire's aspect ratio is its signal, so never squash."""
    return [
        A.LongestMaxSize(max_size=size),
        A.PadIfNeeded(min_height=size, min_width=size, border_mode=cv2.BORDER_REPLICATE),
    ]


def classifier_transform(task: Literal["defect", "view"], size: int, heavy: bool, train: bool, seed: int | None = None) -> A.Compose:
    """8-bit RGB HxWx3 array in, normalised float tensor CHW (ImageNet statistics) out."""
    random_part = augmentations(task, heavy) if train else []
    return A.Compose(
        [*resize_to_square(size), *random_part, A.Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD), ToTensorV2()],
        seed=seed,
    )


def oversample_indices(labels: Sequence[int], factor_by_class: Mapping[int, int]) -> list[int]:
    """Dataset indices with each sample of class ``c`` repeated ``factor_by_class[c]`` times (default 1).

    A dataset that applies a random transform per access then sees each
    repetition freshly augmented.
    """
    if any(f < 1 for f in factor_by_class.values()):
        raise ValueError("Oversampling factors must be at least 1.")
    return [index for index, label in enumerate(labels) for _ in range(factor_by_class.get(label, 1))]


class ClassAwareTransform:
    """The heavy pipeline for oversampled classes, the standard one for the rest."""

    def __init__(self, standard: A.Compose, heavy: A.Compose, heavy_classes: set[int]):
        self.standard = standard
        self.heavy = heavy
        self.heavy_classes = heavy_classes

    def __call__(self, image: np.ndarray, label: int) -> Any:
        chosen = self.heavy if label in self.heavy_classes else self.standard
        return chosen(image=image)["image"]


def class_aware_transform(
    task: Literal["defect", "view"], size: int, heavy_classes: set[int], seed: int | None = None
) -> Callable[[np.ndarray, int], Any]:
    """Training transform: heavy for ``heavy_classes`` (PASS by default), standard otherwise."""
    return ClassAwareTransform(
        classifier_transform(task, size, heavy=False, train=True, seed=seed),
        classifier_transform(task, size, heavy=True, train=True, seed=seed),
        heavy_classes,
    )
