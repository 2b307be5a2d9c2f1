"""Reading X-ray pictures: validation, bit depth and windowing to 8 bits.

Detectors deliver 8-bit RGB (grey values in all three channels) or 16-bit grey
PNG/TIFF. 16-bit pictures keep their range: they are rescaled to 8 bits by a
percentile window, never clipped at 255.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

ALLOWED_FORMATS = {"PNG", "JPEG", "BMP", "TIFF"}
#: The stored file's extension and the type it is served as, by the format the decoder found:
#: never by the uploaded name, which may say ``.html``.
FORMAT_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "BMP": "bmp", "TIFF": "tif"}
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "bmp": "image/bmp", "tif": "image/tiff"}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"BM", "bmp"), (b"II*\x00", "tif"), (b"MM\x00*", "tif"))


def sniff_extension(head: bytes) -> str | None:
    """The picture type the first bytes of a file show (png, jpg, bmp, tif), or None."""
    return next((extension for magic, extension in _MAGIC if head.startswith(magic)), None)


DEFAULT_MAX_PIXELS = 50_000_000


class UnreadableImage(ValueError):
    """The bytes are not a picture we can use; the message says why and what to do."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    bit_depth: int
    mode: str


def window_to_8bit(array: np.ndarray, low_percentile: float = 0.5, high_percentile: float = 99.5) -> np.ndarray:
    """Rescale a grey array of any depth to uint8 by a percentile window.

    The window spans the picture's own range (robust to a few hot pixels), so a
    16-bit picture whose values sit far above 255 is not clipped to white.
    """
    if array.dtype == np.uint8:
        return array
    values = array.astype(np.float32)
    finite = values[np.isfinite(values)]  # a float picture may hold NaN or infinity: they take the window's low end
    if finite.size == 0:
        raise UnreadableImage("The picture holds no finite grey values (only NaN or infinity); export it again from the detector.")
    low, high = np.percentile(finite, [low_percentile, high_percentile])
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (np.where(np.isfinite(values), values, low) - low) * (255.0 / (high - low))
    windowed: np.ndarray = np.clip(scaled, 0, 255).astype(np.uint8)
    return windowed


def _bit_depth(image: PILImage.Image) -> int:
    if image.mode in {"I;16", "I;16B", "I;16L", "I", "I;16N"}:
        return 16
    if image.mode == "F":
        return 32
    return 8


def open_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[PILImage.Image, ImageInfo]:
    """Open and fully decode picture bytes, or raise ``UnreadableImage`` with a reason.

    Decoding the whole picture (not only the header) catches truncated files.
    Pillow's decompression-bomb warning is raised as an error.
    """
    if not data:
        raise UnreadableImage("The file is empty (0 bytes). Upload the picture again.")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
        raise UnreadableImage("This is an SVG/HTML document, not an X-ray picture. Upload PNG, JPEG, BMP or TIFF.")
    previous_limit = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            image = PILImage.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise UnreadableImage(f"{image.format or 'This'} pictures are not supported. Upload PNG, JPEG, BMP or TIFF.")
            image.load()
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise UnreadableImage(
            f"The picture has more than {max_pixels:,} pixels (a possible decompression bomb). Resize it or raise WIRESAG_IMAGE_MAX_PIXELS."
        ) from None
    except (UnidentifiedImageError, ModuleNotFoundError):
        # ModuleNotFoundError: in a process that imported Ultralytics, its wrapper around
        # ``Image.open`` tries to load pi-heif for any file Pillow cannot identify.
        raise UnreadableImage("The file is not a picture Wiresag can read. Upload PNG, JPEG, BMP or TIFF.") from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, UnreadableImage):
            raise
        raise UnreadableImage(f"The picture is damaged or truncated ({error}). Export it again and re-upload.") from None
    finally:
        PILImage.MAX_IMAGE_PIXELS = previous_limit
    if image.width < 1 or image.height < 1:
        raise UnreadableImage("The picture has no pixels.")
    info = ImageInfo(format=image.format or "", width=image.width, height=image.height, bit_depth=_bit_depth(image), mode=image.mode)
    return image, info


def to_rgb8(image: PILImage.Image) -> PILImage.Image:
    """An 8-bit RGB copy for display and training (16-bit pictures windowed, not clipped)."""
    if _bit_depth(image) > 8:
        grey = window_to_8bit(np.asarray(image))
        return PILImage.fromarray(grey, mode="L").convert("RGB")
    return image.convert("RGB")


def thumbnail(image: PILImage.Image, size: int = 256) -> PILImage.Image:
    copy = to_rgb8(image)
    copy.thumbnail((size, size))
    return copy
