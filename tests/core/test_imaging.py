"""Reading pictures: clear errors for bad bytes, 16-bit range kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from core.imaging.decode import UnreadableImage, open_image, to_rgb8, window_to_8bit


def test_window_keeps_a_sixteen_bit_wire_visible():
    grey = np.full((32, 32), 40000, dtype=np.uint16)
    grey[16, :] = 30000  # a darker wire far above 255
    windowed = window_to_8bit(grey)
    assert windowed[16, 0] < windowed[0, 0]
    assert windowed.max() > 200


def test_sixteen_bit_png_reads_with_its_depth_and_converts_without_clipping():
    grey = np.linspace(1000, 60000, 64 * 64).astype(np.uint16).reshape(64, 64)
    buffer = io.BytesIO()
    PILImage.fromarray(grey).save(buffer, format="PNG")
    picture, info = open_image(buffer.getvalue())
    assert info.bit_depth == 16
    rgb = np.asarray(to_rgb8(picture))
    assert rgb[0, 0, 0] < 10 and rgb[-1, -1, 0] > 245


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "SVG/HTML"),
        (b"hello, not a picture", "not a picture"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a picture"),
    ],
)
def test_bad_bytes_give_a_sentence(data, message):
    with pytest.raises(UnreadableImage, match=message):
        open_image(data)


def test_bad_bytes_still_give_a_sentence_after_ultralytics_is_imported():
    # Ultralytics patches PIL.Image.open process-wide; offline its fallback fails with ModuleNotFoundError.
    from core.offline import import_yolo

    import_yolo()
    with pytest.raises(UnreadableImage, match="not a picture"):
        open_image(b"hello, not a picture")


def test_bad_bytes_give_a_sentence_even_while_ultralytics_patch_is_in_place(monkeypatch):
    # ``import ultralytics.utils`` alone (no import_yolo) leaves the patch in place.
    from ultralytics.utils import patches

    monkeypatch.setattr(PILImage, "open", patches.image_open)
    with pytest.raises(UnreadableImage, match="not a picture"):
        open_image(b"hello, not a picture")


def test_a_float_picture_without_finite_values_is_refused_with_a_sentence() -> None:
    import numpy as np
    import pytest

    from core.imaging.decode import UnreadableImage, window_to_8bit

    with pytest.raises(UnreadableImage, match="holds no finite grey values"):
        window_to_8bit(np.full((4, 4), np.nan, dtype=np.float32))
    windowed = window_to_8bit(np.array([[0.0, np.inf], [100.0, np.nan]], dtype=np.float32))
    assert windowed.tolist() == [[0, 0], [255, 0]]  # infinity and NaN take the window's low end
