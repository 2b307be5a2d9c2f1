"""Reusing a prepared training set whose pictures have gone since it was prepared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import BoxRecord, ImageRecord, Snapshot
from core.data.prepare import PictureUnreadable, prepare_yolo


def two_picture_snapshot(folder: Path) -> Snapshot:
    records = []
    for n in range(2):
        path = folder / f"{n:064x}.png"
        PILImage.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(path)
        box = BoxRecord(8, 28, 44, 8, "TOP", "PASS")
        records.append(ImageRecord(str(path), 64, 64, f"lot/{n}", "TOP", (box,), image_id=n + 1, name=f"wire-{n}_TOP.png"))
    return Snapshot(train=(records[0],), val=(records[1],), seed=0, val_fraction=0.5)


def test_a_reused_detection_set_whose_picture_has_gone_is_refused_not_trained_without_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The detection set links the pictures: reused after one was deleted (or lost in a restore), it held a dangling link
    that Ultralytics skips as a corrupt image, so the run trained on fewer pictures than its snapshot says, unsaid."""
    snapshot = two_picture_snapshot(tmp_path)
    prepare_yolo(snapshot, tmp_path / "prepared")
    Path(snapshot.val[0].path).unlink()
    with pytest.raises(PictureUnreadable, match=r"^The picture wire-1_TOP.png \(wire lot/1\) cannot be read: its file is missing\."):
        prepare_yolo(snapshot, tmp_path / "prepared")
