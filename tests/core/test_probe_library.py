"""Pictures that decode oddly reach the trainers on the same pixels the annotation page shows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from core.data.dataset import BoxRecord, ImageRecord, split_records
from core.data.prepare import prepare_yolo

ORIENTATION = 0x0112


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_a_picture_with_an_exif_rotation_reaches_the_detector_unrotated(tmp_path: Path, suffix: str) -> None:
    """Ultralytics reads JPEG and PNG with their EXIF orientation applied (``cv2.imdecode``, ``IMREAD_COLOR``).

    The library stores a picture's size, draws its display copy and takes its boxes on the stored
    pixels, and inspection reads those too; a linked picture with an orientation tag would reach the
    detector turned a quarter, under labels normalised to the unturned size.
    """
    grey = np.full((40, 100), 30, dtype=np.uint8)
    grey[:, :10] = 250  # the wire: a bright strip at the left edge of the stored pixels
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6  # "turn 90 degrees clockwise to display"
    path = tmp_path / f"w1_TOP{suffix}"
    PILImage.fromarray(grey).convert("RGB").save(path, exif=exif.tobytes(), quality=95)
    record = ImageRecord(str(path), 100, 40, "w1", "TOP", (BoxRecord(0, 0, 10, 40, "TOP", "PASS"),))
    data_yaml = prepare_yolo(split_records([record], val_fraction=0, min_samples_per_class=0), tmp_path / "yolo")
    (picture_path,) = (data_yaml.parent / "images" / "train").iterdir()
    picture = cv2.imread(str(picture_path), cv2.IMREAD_COLOR)  # what Ultralytics' imread does
    assert picture.shape[:2] == (40, 100)
    assert picture[20, 5, 0] > 200 and picture[20, 50, 0] < 60  # the labelled strip is where the label says


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw"])
def test_a_tiff_with_an_orientation_tag_reaches_the_trainers_as_the_library_shows_it(tmp_path: Path, compression: str) -> None:
    """Pillow turns a TIFF by its orientation tag when it loads it (the library's size, display copy and inspection);
    OpenCV reads an uncompressed grey one as stored, so its crops were cut from pixels turned a quarter from its boxes."""
    from PIL import TiffImagePlugin

    from core.data.prepare import read_rgb8
    from core.imaging.decode import open_image, to_rgb8

    grey = np.full((40, 100), 30, dtype=np.uint8)
    grey[:, :10] = 250
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[ORIENTATION] = 6
    path = tmp_path / "w1_TOP.tif"
    PILImage.fromarray(grey).save(path, tiffinfo=tags, compression=compression)
    picture, info = open_image(path.read_bytes())
    shown = np.asarray(to_rgb8(picture))
    assert np.array_equal(read_rgb8(path), shown)
    record = ImageRecord(str(path), info.width, info.height, "w1", "TOP", (BoxRecord(0, 0, info.width, 10, "TOP", "PASS"),))
    data_yaml = prepare_yolo(split_records([record], val_fraction=0, min_samples_per_class=0), tmp_path / "yolo")
    (prepared,) = (data_yaml.parent / "images" / "train").iterdir()
    assert np.array_equal(cv2.imread(str(prepared), cv2.IMREAD_COLOR)[..., ::-1], shown)
