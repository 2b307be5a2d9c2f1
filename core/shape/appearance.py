"""What a wire loop and its surroundings look like: a small standardised grey picture around the traced wire.

On real wires the defect classes differ in the loop's course relative to what is around it
(pads, leads, the die edge), which the traced centre line alone misses. The picture is
framed on the **traced wire**, not on the box it came in: the tracer's end points and
extent give a tight box whatever the box looked like (an annotator's, or a detector's a
few dozen pixels too wide), and the picture is that box with half its size of context on
every side, standardised and resized to 48 x 24. Framed on the given box instead, the
same classifier reached 0.72 on annotated boxes but fell to 0.35 on the detector's boxes
(docs/training.md, "Real pictures").

Training rows: the crop's own box and ``JITTER_COPIES`` copies with each edge moved at
random (about what a detector's boxes differ by), each in every mirror that keeps the
class (TOP: left-right and up-down; SIDE: left-right only, since up is away from the lead
frame). A prediction is the mean of the mirrors' log-probabilities.
"""

from __future__ import annotations

import cv2
import numpy as np

from core.shape.wireshape import TRACE_MARGIN, trace

#: Bumped whenever the vector changes meaning; checkpoints store it.
APPEARANCE_VERSION = 2
#: Context around the traced wire's box, as a share of its size on every side.
CONTEXT = 0.5
#: Columns and rows of the picture, the box's longer side along the columns.
SIZE = (48, 24)
LENGTH = SIZE[0] * SIZE[1]
#: Jittered copies of each training crop, and the spread of each edge's shift (share of the box's width / height).
JITTER_COPIES = 2
JITTER = (0.1, 0.15)

Box = tuple[float, float, float, float]


def recentre(crop: np.ndarray, margin: float, wanted: float) -> np.ndarray:
    """The part of ``crop`` (a box cut with ``margin`` of context) that holds ``wanted`` context instead.

    With less context than wanted the crop is returned as it is. A crop clipped at the
    picture's edge is assumed centred on its box (a few pixels off at worst).
    """
    if wanted >= margin:
        return crop
    rows, cols = crop.shape[:2]
    keep = (1 + 2 * wanted) / (1 + 2 * margin)
    height, width = max(1, round(rows * keep)), max(1, round(cols * keep))
    top, left = (rows - height) // 2, (cols - width) // 2
    return crop[top : top + height, left : left + width]


def box_in_crop(crop: np.ndarray, margin: float) -> Box:
    """The box a crop was cut around, in the crop's pixels (``x, y, width, height``)."""
    rows, cols = crop.shape[:2]
    width, height = cols / (1 + 2 * margin), rows / (1 + 2 * margin)
    return (cols - width) / 2, (rows - height) / 2, width, height


def _cut(grey: np.ndarray, box: Box, margin: float) -> tuple[np.ndarray, int, int]:
    """The part of ``grey`` inside ``box`` plus ``margin`` of context (clipped), and its top-left corner."""
    x, y, w, h = box
    x0, y0 = int(max(np.floor(x - margin * w), 0)), int(max(np.floor(y - margin * h), 0))
    x1, y1 = int(min(np.ceil(x + w + margin * w), grey.shape[1])), int(min(np.ceil(y + h + margin * h), grey.shape[0]))
    return grey[y0 : max(y1, y0 + 1), x0 : max(x1, x0 + 1)], x0, y0


def traced_box(grey: np.ndarray, box: Box, view: str | None) -> Box:
    """The box around the wire the tracer finds in ``box`` (with the tracer's context); ``box`` when it finds none."""
    part, x0, y0 = _cut(grey, box, TRACE_MARGIN)
    if min(part.shape[:2]) < 8:
        return box
    points = trace(part, view or "TOP").points
    if len(points) < 5:
        return box
    low, high = points.min(axis=0), points.max(axis=0)
    return float(x0 + low[0]), float(y0 + low[1]), float(max(high[0] - low[0], 4.0)), float(max(high[1] - low[1], 4.0))


def _grey(crop: np.ndarray) -> np.ndarray:
    grey = crop.astype(np.float32)
    return grey.mean(axis=2) if grey.ndim == 3 else grey


def appearance(crop: np.ndarray, margin: float, view: str | None, box: Box | None = None) -> np.ndarray:
    """The standardised ``SIZE`` picture around the traced wire of a crop cut with ``margin`` (or of ``box`` in it)."""
    grey = _grey(crop)
    framed = traced_box(grey, box or box_in_crop(crop, margin), view)
    part, _, _ = _cut(grey, framed, CONTEXT)
    if part.shape[0] > part.shape[1]:
        part = part.T
    part = (part - part.mean()) / (part.std() + 1e-6)
    picture: np.ndarray = cv2.resize(part, SIZE, interpolation=cv2.INTER_AREA)
    return picture


def mirrors(picture: np.ndarray, view: str | None) -> np.ndarray:
    """The flattened mirrors of an appearance picture that keep its class: rows of length ``LENGTH``."""
    variants = [picture, picture[:, ::-1]]
    if view != "SIDE":
        variants += [picture[::-1], picture[::-1, ::-1]]
    return np.stack([v.ravel() for v in variants]).astype(np.float32)


def training_rows(crop: np.ndarray, margin: float, view: str | None, rng: np.random.Generator) -> np.ndarray:
    """The mirrors of the crop's own box and of ``JITTER_COPIES`` jittered boxes: what the classifier learns from."""
    x, y, w, h = box_in_crop(crop, margin)
    boxes: list[Box | None] = [None]
    for _ in range(JITTER_COPIES):
        dx0, dx1 = rng.normal(0.0, JITTER[0] * w, size=2)
        dy0, dy1 = rng.normal(0.0, JITTER[1] * h, size=2)
        left, top = max(x + dx0, 0.0), max(y + dy0, 0.0)
        right, bottom = min(x + w + dx1, crop.shape[1]), min(y + h + dy1, crop.shape[0])
        boxes.append((left, top, max(right - left, 4.0), max(bottom - top, 4.0)))
    return np.concatenate([mirrors(appearance(crop, margin, view, box), view) for box in boxes])
