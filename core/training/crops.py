"""The classifiers' data: prepared crops on disk, their wire-shape inputs, and the epoch sampler.

A ``CropFolder`` reads ``root/<split>/<CLASS>/*.png`` as ``prepare_crops`` writes it; the
shape inputs (descriptor + view) are traced once per crop and cached; the ``EpochSampler``
repeats PASS and shuffles or balances the classes, as a pure function of (seed, epoch).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from core.data.augment import oversample_indices
from core.labels import VIEWS, parse_wire_name
from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES, describe

PASS_CLASS = 0  # DEFECTS[0]


class CropFolder(Dataset[tuple[Any, int]]):
    """``root/<split>/<CLASS>/*.png``; the class id is the folder's position in ``classes``.

    With ``shapes`` set (one row per crop, see :func:`shape_inputs`) an item's
    input is ``(picture, shape row)`` instead of the picture alone.
    """

    def __init__(self, root: Path, split: str, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        self.items = [(str(p), k) for k, name in enumerate(self.classes) for p in sorted((root / split / name).glob("*.png"))]
        self.labels = [k for _, k in self.items]
        self.transform: Callable[[np.ndarray, int], torch.Tensor] | None = None
        self.shapes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.items)

    def picture(self, index: int) -> np.ndarray:
        path = self.items[index][0]
        picture = cv2.imread(path, cv2.IMREAD_COLOR)
        if picture is None:
            raise OSError(f"The prepared crop {path} cannot be read; delete the run's data set folder so it is prepared again.")
        return cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        label = self.items[index][1]
        assert self.transform is not None, "set the transform before loading"
        picture = self.transform(self.picture(index), label)
        if self.shapes is None:
            return picture, label
        return (picture, torch.from_numpy(self.shapes[index])), label


def crop_view(path: str) -> str | None:
    """The view of a prepared crop, from its name (``<picture stem>-<digest>-<box>.png``)."""
    stem = Path(path).stem.rsplit("-", 2)[0]
    return parse_wire_name(stem + ".png").view


def shape_inputs(descriptors: np.ndarray, views: Sequence[str | None]) -> np.ndarray:
    """Descriptor rows followed by the view as one-hot (all zero when unknown): the shape branch's input."""
    one_hot = np.array([[1.0 if view == v else 0.0 for v in VIEWS] for view in views], dtype=np.float32).reshape(len(views), len(VIEWS))
    return np.concatenate([np.asarray(descriptors, np.float32).reshape(len(views), len(FEATURES)), one_hot], axis=1)


def folder_shapes(folder: CropFolder, cache: Path) -> np.ndarray:
    """The shape inputs of every crop in ``folder``, traced once and cached in ``cache`` (JSON by crop name).

    Descriptors are taken from the stored crop, never from an augmented copy:
    flips and small rotations leave them unchanged by construction, and
    elastic distortion would bend the very geometry that defines the class.
    """
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if known.get("version") != DESCRIPTOR_VERSION:
        known = {"version": DESCRIPTOR_VERSION, "descriptors": {}}
    table: dict[str, list[float]] = known["descriptors"]
    views = [crop_view(path) for path, _ in folder.items]
    missing = [i for i, (path, _) in enumerate(folder.items) if Path(path).name not in table]
    for i in missing:
        table[Path(folder.items[i][0]).name] = describe(folder.picture(i), views[i] or "TOP").tolist()
    if missing:
        temporary = cache.with_suffix(".tmp")
        temporary.write_text(json.dumps(known))
        os.replace(temporary, cache)
    return shape_inputs(np.array([table[Path(path).name] for path, _ in folder.items], np.float32), views)


class EpochSampler(Sampler[int]):
    """The indices of one epoch: PASS repeated ``pass_oversample`` times, then shuffled or class-balanced.

    The order is a pure function of (seed, epoch), so the sampler's whole state
    is those two numbers and a resumed run sees the same epochs as an
    uninterrupted one.
    """

    def __init__(self, labels: Sequence[int], n_classes: int, kind: str, oversample: dict[int, int], seed: int) -> None:
        self.base = oversample_indices(labels, oversample) if any(f > 1 for f in oversample.values()) else list(range(len(labels)))
        self.labels = list(labels)
        self.n_classes = n_classes
        self.kind = kind
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.base)

    def delivered_counts(self) -> list[int]:
        """Samples per class an epoch delivers on average: what the loss weights must correct."""
        counts = [0] * self.n_classes
        for i in self.base:
            counts[self.labels[i]] += 1
        if self.kind == "balanced":
            present = [k for k in range(self.n_classes) if counts[k]]
            return [len(self.base) // len(present) if counts[k] else 0 for k in range(self.n_classes)]
        return counts

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
        base = torch.tensor(self.base)
        if self.kind == "balanced":
            per_class = torch.bincount(torch.tensor([self.labels[i] for i in self.base]), minlength=self.n_classes).float()
            weights = 1.0 / per_class[[self.labels[i] for i in self.base]]
            order = base[torch.multinomial(weights, len(self.base), replacement=True, generator=generator)]
        else:
            order = base[torch.randperm(len(self.base), generator=generator)]
        return iter(order.tolist())

    def state_dict(self) -> dict[str, int | str]:
        return {"seed": self.seed, "epoch": self.epoch, "kind": self.kind}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])
