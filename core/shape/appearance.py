"""What a wire loop and its surroundings look like: a small standardised grey picture of the box with context.

On real wires the defect classes differ in the loop's course relative to what is
around it (pads, leads, the die edge), not only in the traced centre line: on
real-dev, grouped by wire, a strongly regularised logistic regression on this
48 x 24 picture of the box with half its size of context on every side reached a
balanced accuracy per wire of 0.71 over SWEEP/WOBBLE/TOUCH, against 0.55 for the
traced shape measures (docs/training.md, "Real pictures"). Less context (15 %)
or more (100 %), larger or smaller pictures, jittered boxes, an RBF kernel or
adding the traced measures all did worse there.

The classes do not change when the picture is mirrored (TOP: left-right and
up-down; SIDE: left-right only, since up is away from the lead frame), so the
classifier is fitted on every mirror of a crop and predicts the mean of their
log-probabilities.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Bumped whenever the vector changes meaning; checkpoints store it.
APPEARANCE_VERSION = 1
#: Context around the box, as a share of its size on every side.
CONTEXT = 0.5
#: Columns and rows of the picture, the box's longer side along the columns.
SIZE = (48, 24)
LENGTH = SIZE[0] * SIZE[1]


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


def appearance(crop: np.ndarray, margin: float) -> np.ndarray:
    """The standardised ``SIZE`` grey picture of a crop cut with ``margin``, as a 2-D float32 array."""
    grey = recentre(crop, margin, CONTEXT).astype(np.float32)
    if grey.ndim == 3:
        grey = grey.mean(axis=2)
    if grey.shape[0] > grey.shape[1]:
        grey = grey.T
    grey = (grey - grey.mean()) / (grey.std() + 1e-6)
    picture: np.ndarray = cv2.resize(grey, SIZE, interpolation=cv2.INTER_AREA)
    return picture


def mirrors(picture: np.ndarray, view: str | None) -> np.ndarray:
    """The flattened mirrors of an appearance picture that keep its class: rows of length ``LENGTH``."""
    variants = [picture, picture[:, ::-1]]
    if view != "SIDE":
        variants += [picture[::-1], picture[::-1, ::-1]]
    return np.stack([v.ravel() for v in variants]).astype(np.float32)
