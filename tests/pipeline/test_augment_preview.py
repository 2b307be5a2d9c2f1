"""The preview grid: one row per class, augmented tiles, usable as PNG and in TensorBoard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from training.pipeline.dataset import records_from_synthetic, split_records
from training.pipeline.prepare import prepare_crops
from training.pipeline.preview import preview_from_crops, preview_grid, save_preview
from training.pipeline.synthetic import generate


def test_grid_has_a_row_per_class_in_class_order_even_when_empty(tmp_path: Path) -> None:
    samples = generate(tmp_path / "pictures", {"SWEEP": 2, "TOUCH": 2}, image_size=128)
    crops = prepare_crops(split_records(records_from_synthetic(samples), min_samples_per_class=0), tmp_path / "crops", "defect")
    grid = preview_from_crops(crops, heavy=True, per_class=4, tile=48)
    assert grid.shape == (4 * 48, 90 + 4 * 48, 3) and grid.dtype == np.uint8
    pass_row, touch_row = grid[:48, 90:], grid[3 * 48 :, 90:]
    assert np.all(pass_row == pass_row[0, 0])  # PASS has no crops: an empty row shows it
    assert touch_row.std() > 5
    saved = save_preview(grid, tmp_path / "preview.png")
    assert PILImage.open(saved).size == (90 + 4 * 48, 4 * 48)


def test_heavy_tiles_differ_from_each_other_and_seed_reproduces(tmp_path: Path) -> None:
    picture = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (32, 1))[..., None].repeat(3, axis=2)
    first = preview_grid({"PASS": [picture]}, "defect", heavy=True, per_class=3, tile=32, seed=5)
    tiles = [first[:, 90 + i * 32 : 90 + (i + 1) * 32] for i in range(3)]
    assert not np.array_equal(tiles[0], tiles[1]) or not np.array_equal(tiles[1], tiles[2])
    assert np.array_equal(first, preview_grid({"PASS": [picture]}, "defect", heavy=True, per_class=3, tile=32, seed=5))


def test_grid_goes_into_tensorboard(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    picture = np.full((20, 40, 3), 128, dtype=np.uint8)
    grid = preview_grid({"TOP": [picture], "SIDE": [picture]}, "view", heavy=False, per_class=2, tile=24)
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_image("augmentation/preview", grid, 0, dataformats="HWC")
    assert list(tmp_path.glob("events.out.tfevents.*"))
