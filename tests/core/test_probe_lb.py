"""Preparing a training set whose snapshot names pictures a restore did not bring back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import BoxRecord, ImageRecord, Snapshot
from core.data.prepare import PictureUnreadable, prepare_crops, prepare_yolo


def snapshot_with_lost_pictures(folder: Path, lost: int) -> Snapshot:
    """Two stored pictures and ``lost`` pictures whose files are gone, named in the library ``lost-<n>_TOP.png``."""
    records = []
    for n in range(2 + lost):
        path = folder / f"{n:064x}.png"
        if n < 2:
            PILImage.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(path)
        name = f"kept-{n}_TOP.png" if n < 2 else f"lost-{n}_TOP.png"
        box = BoxRecord(8, 28, 44, 8, "TOP", "PASS")
        records.append(ImageRecord(str(path), 64, 64, f"lot/{n}", "TOP", (box,), image_id=n + 1, name=name))
    return Snapshot(train=tuple(records[::2]), val=tuple(records[1::2]), seed=0, val_fraction=0.5)


@pytest.mark.parametrize("prepare", [prepare_yolo, lambda snapshot, out: prepare_crops(snapshot, out, "defect")])
def test_a_training_set_names_every_picture_whose_file_is_missing_not_only_the_first(tmp_path, prepare) -> None:  # type: ignore[no-untyped-def]
    """A run stopped at the first missing picture and named it alone: thirty lost pictures took thirty runs to find."""
    snapshot = snapshot_with_lost_pictures(tmp_path, lost=12)
    with pytest.raises(PictureUnreadable) as refused:
        prepare(snapshot, tmp_path / "prepared")
    message = str(refused.value)
    assert message.startswith("12 pictures cannot be read: their files are missing from the data folder: lost-2_TOP.png (wire lot/2), ")
    assert all(f"lost-{n}_TOP.png (wire lot/{n})" in message for n in (2, 4, 6, 8, 10, 12, 3, 5))
    assert message.count("lost-") == 10 and " and 2 more. Copy them back from the backup" in message
    assert "kept-" not in message and refused.value.record.name == "lost-2_TOP.png"


def test_one_picture_whose_file_is_missing_keeps_its_sentence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PictureUnreadable, match=r"^The picture lost-2_TOP.png \(wire lot/2\) cannot be read: its file is missing\."):
        prepare_yolo(snapshot_with_lost_pictures(tmp_path, lost=1), tmp_path / "prepared")
