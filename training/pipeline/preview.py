"""A grid picture of augmented samples, one row per class, for the UI and TensorBoard.

Seeing what the heavy pipeline does to a PASS crop is the quickest way to
notice an augmentation that destroys the signal (a wire bent by elastic, a
loop cut by dropout).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image as PILImage

from training.pipeline.augment import display_transform
from training.pipeline.prepare import read_rgb8

_LABEL_WIDTH = 90
_BACKGROUND = 32


def preview_grid(
    samples_by_class: Mapping[str, Sequence[np.ndarray]],
    task: str,
    heavy: bool,
    per_class: int = 8,
    tile: int = 96,
    seed: int = 0,
) -> np.ndarray:
    """An 8-bit RGB array (H x W x 3): a class name, then ``per_class`` augmented samples per row.

    Samples are reused in turn when a class has fewer than ``per_class``;
    a class without samples gets an empty row, so a missing class is visible.
    For TensorBoard: ``writer.add_image(tag, grid, dataformats="HWC")``.
    """
    transform = display_transform(task, heavy, tile, seed)
    rows = []
    for name, samples in samples_by_class.items():
        row = np.full((tile, _LABEL_WIDTH + per_class * tile, 3), _BACKGROUND, dtype=np.uint8)
        cv2.putText(row, name, (6, tile // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        for column in range(per_class if samples else 0):
            augmented = transform(image=samples[column % len(samples)])["image"]
            left = _LABEL_WIDTH + column * tile
            row[:, left : left + tile] = augmented
        rows.append(row)
    return np.concatenate(rows, axis=0) if rows else np.zeros((tile, _LABEL_WIDTH, 3), dtype=np.uint8)


def preview_from_crops(crops_dir: Path, heavy: bool, split: str = "train", per_class: int = 8, tile: int = 96, seed: int = 0) -> np.ndarray:
    """The grid for a folder written by ``prepare_crops``, classes in their ``info.json`` order."""
    info = json.loads((Path(crops_dir) / "info.json").read_text())
    samples = {cls: [read_rgb8(p) for p in sorted((Path(crops_dir) / split / cls).glob("*.png"))[:per_class]] for cls in info["classes"]}
    return preview_grid(samples, info["task"], heavy, per_class=per_class, tile=tile, seed=seed)


def save_preview(grid: np.ndarray, path: Path) -> Path:
    """Write the grid as PNG (for the run page) and return the path."""
    PILImage.fromarray(grid, "RGB").save(path)
    return path
