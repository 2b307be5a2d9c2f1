"""The neutral structure every format reads into and writes from (no Django here).

Boxes are in pixels, top-left corner plus size, unless ``normalized`` says they
are fractions of a picture size not known yet (YOLO labels without pictures).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import SupportsFloat, SupportsIndex

PICTURE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})


class FormatError(ValueError):
    """A file that cannot be read as the format it claims to be; names the file and the place."""

    def __init__(self, file: PurePath | str, where: str, message: str) -> None:
        self.file = str(file)
        self.where = where
        self.message = message
        place = f"{Path(self.file).name}, {where}" if where else Path(self.file).name
        super().__init__(f"{place}: {message}")

    def named_as(self, root: Path, shown: str) -> FormatError:
        """The same error naming its file as the user knows it: ``shown`` for ``root``, ``shown/...`` below it.

        An upload is read from a folder of the server; the user knows it by the name they uploaded.
        """
        try:
            relative = Path(self.file).relative_to(root)
        except ValueError:
            return self
        return FormatError(PurePosixPath(shown, relative.as_posix()) if relative.parts else shown, self.where, self.message)


@dataclass
class ForeignBox:
    label: str
    x: float
    y: float
    width: float
    height: float
    attributes: dict[str, str] = field(default_factory=dict)
    normalized: bool = False
    where: str = ""

    def in_pixels(self, image_width: int, image_height: int) -> tuple[float, float, float, float]:
        if not self.normalized:
            return self.x, self.y, self.width, self.height
        return self.x * image_width, self.y * image_height, self.width * image_width, self.height * image_height


@dataclass
class ForeignImage:
    """One picture as the foreign file names it; ``group`` keeps wire ids of different folders apart.

    ``problem`` is why the picture may not be read at all (its stored path leaves the folder
    the user gave); such an image gets no picture and its boxes are skipped with that reason.
    """

    name: str
    width: int | None = None
    height: int | None = None
    boxes: list[ForeignBox] = field(default_factory=list)
    picture: Path | None = None
    group: str = ""
    problem: str = ""

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


@dataclass
class ForeignDataset:
    format: str
    images: list[ForeignImage] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def label_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {label: 0 for label in self.labels}
        for image in self.images:
            for box in image.boxes:
                counts[box.label] = counts.get(box.label, 0) + 1
        return counts

    def attribute_counts(self) -> dict[str, int]:
        """``"name=value"`` -> number of boxes carrying it."""
        counts: dict[str, int] = defaultdict(int)
        for image in self.images:
            for box in image.boxes:
                for name, value in box.attributes.items():
                    counts[f"{name}={value}"] += 1
        return dict(sorted(counts.items()))


def group_of(name: str) -> str:
    """The folder part of a relative picture name: the legacy class folder, a lot, a batch."""
    parent = str(PurePosixPath(name.replace("\\", "/")).parent)
    return "" if parent in (".", "/") else parent.strip("/")


def finite(value: float) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(raw: object, file: Path | str, where: str, what: str) -> float:
    """Parse a coordinate; refuse text, NaN and infinity with a message naming the place."""
    if not isinstance(raw, str | bytes | SupportsFloat | SupportsIndex):
        raise FormatError(file, where, f"{what} is {raw!r}, not a number.")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise FormatError(file, where, f"{what} is {raw!r}, not a number.") from None
    if not math.isfinite(value):
        raise FormatError(file, where, f"{what} is {raw!r}; a finite number is required.")
    return value


def is_inside(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, lies below ``root`` (decided without asking whether it exists)."""
    base = root.resolve()
    return base in path.resolve().parents


class PictureIndex:
    """The picture files under a folder, found by relative path, path suffix, name or stem.

    A link that points outside the folder is left out: only files inside it are read.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[PurePosixPath] = sorted(
            PurePosixPath(path.relative_to(root).as_posix())
            for path in root.rglob("*")
            if path.suffix.lower() in PICTURE_SUFFIXES and is_inside(path, root) and path.is_file()
        )
        self._by_name: dict[str, list[PurePosixPath]] = defaultdict(list)
        self._by_stem: dict[str, list[PurePosixPath]] = defaultdict(list)
        for path in self.files:
            self._by_name[path.name.lower()].append(path)
            self._by_stem[path.stem.lower()].append(path)

    def find(self, name: str) -> Path | None:
        wanted = PurePosixPath(name.replace("\\", "/").lstrip("/"))
        text = str(wanted).lower()
        suffixed = _same_case_first(
            [p for p in self.files if str(p).lower() == text or str(p).lower().endswith("/" + text)], str(wanted), lambda p: str(p)
        )
        if len(suffixed) == 1:
            return self.root / suffixed[0]
        if suffixed:
            # "001_TOP.png" next to "lot-2/001_TOP.png": the name without a folder is the shallowest file;
            # two files at the same depth stay ambiguous.
            depth = min(len(p.parts) for p in suffixed)
            shallowest = [p for p in suffixed if len(p.parts) == depth]
            return self.root / shallowest[0] if len(shallowest) == 1 else None
        has_suffix = wanted.suffix.lower() in PICTURE_SUFFIXES
        candidates = self._by_name.get(wanted.name.lower(), []) if has_suffix else self._by_stem.get(wanted.name.lower(), [])
        candidates = _same_case_first(candidates, wanted.name, lambda p: p.name if has_suffix else p.stem)
        if len(candidates) == 1:
            return self.root / candidates[0]
        return None


def _same_case_first(found: list[PurePosixPath], wanted: str, key: Callable[[PurePosixPath], str]) -> list[PurePosixPath]:
    """Of several files matching ``wanted`` regardless of case, those spelled exactly so, when there are any:
    ``A7_TOP.png`` and ``a7_TOP.png`` are two wires, each file found by its own name."""
    if len(found) < 2:
        return found
    exact = [path for path in found if key(path) == wanted or key(path).endswith("/" + wanted)]
    return exact or found


def attach_pictures(dataset: ForeignDataset, root: Path) -> None:
    """Fill in the picture file of every image that has none yet, when ``root`` holds it."""
    missing = [image for image in dataset.images if image.picture is None and not image.problem]
    if not missing or not root.is_dir():
        return
    index = PictureIndex(root)
    for image in missing:
        image.picture = index.find(image.name)
