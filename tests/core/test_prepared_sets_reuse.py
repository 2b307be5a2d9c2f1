"""Reusing a prepared training set (detection links, classifier crops) whose pictures have gone since it was prepared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import BoxRecord, ImageRecord, Snapshot
from core.data.prepare import PictureUnreadable, prepare_crops, prepare_yolo


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


@pytest.mark.parametrize(("task", "whole_image"), [("defect", False), ("view", False), ("view", True)])
def test_a_reused_crop_set_whose_picture_has_gone_is_refused_like_a_fresh_build(tmp_path, task, whole_image) -> None:  # type: ignore[no-untyped-def]
    """A crop set holds copies: reused after a picture was deleted in the library (or lost in a restore), a queued or
    resumed run trained on the deleted picture, while the same run without the set (cleaned up since) was refused."""
    snapshot = two_picture_snapshot(tmp_path)
    prepare_crops(snapshot, tmp_path / "prepared", task, whole_image=whole_image)
    Path(snapshot.val[0].path).unlink()

    with pytest.raises(PictureUnreadable) as reused:
        prepare_crops(snapshot, tmp_path / "prepared", task, whole_image=whole_image)
    with pytest.raises(PictureUnreadable) as fresh:
        prepare_crops(snapshot, tmp_path / "fresh", task, whole_image=whole_image)

    assert str(reused.value) == str(fresh.value)
    assert str(reused.value).startswith("The picture wire-1_TOP.png (wire lot/1) cannot be read: its file is missing.")
