"""The desktop tool's ``annotations.db`` (SQLite) with its ``photo/`` folder.

Its ``images.filepath`` holds absolute Windows paths (``D:\\...\\photo\\Top\\PASS\\001_TOP.jpg``).
The picture's name is its path below the folder all pictures share. The class
folder (``PASS``) becomes the wire group, because the tool restarted its numbering
in every class folder; the view folder above it (``Top``, ``Side``) is left out of
the group, so that ``Top/PASS/001_TOP.jpg`` and ``Side/PASS/001_SIDE.jpg`` are the
two views of one wire (paired in the split and in the wire verdict). Pictures are looked up
below the folder the user names by the longest tail of the stored path.

A stored path may hold ``..``; it is followed as written and must stay inside
that folder. Anything else, a link pointing out of it included, is "outside the
pictures folder" without looking at the file, so an import (or its dry run)
never reads a server file and never tells whether one exists.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path, PurePosixPath, PureWindowsPath

from interop.dataset import ForeignBox, ForeignDataset, ForeignImage, FormatError, group_of, is_inside

OUTSIDE = "outside the pictures folder (its stored path leaves the folder given for the pictures; only pictures inside it are read)"


def _parts(filepath: str) -> tuple[str, ...] | None:
    """The stored path's folder and file names with ``.`` and ``..`` followed; None when ``..`` climbs above its start."""
    path = PureWindowsPath(filepath) if "\\" in filepath or ":" in filepath[:3] else PurePosixPath(filepath)
    parts: list[str] = []
    for part in path.parts:
        if part in (path.anchor, "\\", "/", "", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return tuple(parts)


def _common_folder(paths: list[tuple[str, ...]]) -> int:
    """How many leading folder parts every picture path shares."""
    if not paths:
        return 0
    shortest = min(len(parts) for parts in paths) - 1
    shared = 0
    while shared < shortest and len({parts[shared] for parts in paths}) == 1:
        shared += 1
    return shared


def remap(parts: tuple[str, ...], pictures_root: Path) -> Path | str | None:
    """The file below ``pictures_root`` matching the longest tail of a stored path, ``OUTSIDE``, or None.

    Every candidate is checked to lie inside the folder before it is looked at, so
    a link out of the folder gives ``OUTSIDE`` whether or not its target exists.
    """
    for start in range(len(parts)):
        candidate = pictures_root.joinpath(*parts[start:])
        if not is_inside(candidate, pictures_root):
            return OUTSIDE
        if candidate.is_file():
            return candidate
    return None


VIEW_FOLDERS = frozenset({"top", "side"})


def wire_group_of(name: str) -> str:
    """The folder part of ``name`` without the view folders: ``Top/沖線/001_TOP.jpg`` -> ``沖線``."""
    return "/".join(part for part in group_of(name).split("/") if part and part.casefold() not in VIEW_FOLDERS)


def read(path: Path, pictures_root: Path | None = None) -> ForeignDataset:
    """Read ``annotations.db``; pictures are looked up below ``pictures_root`` (default: the db's folder)."""
    pictures_root = pictures_root or path.parent
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise FormatError(path, "", "this is not an SQLite database (the desktop tool's annotations.db).")
        connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro&immutable=1", uri=True)
    except OSError as error:
        raise FormatError(path, "", f"cannot be opened ({error.strerror}).") from None
    try:
        images = connection.execute("SELECT id, filename, filepath, width, height FROM images ORDER BY id").fetchall()
        boxes = connection.execute(
            "SELECT id, image_id, bbox_x, bbox_y, bbox_width, bbox_height, view_type, defect_type, annotator FROM annotations ORDER BY id"
        ).fetchall()
    except sqlite3.DatabaseError as error:
        raise FormatError(path, "tables images/annotations", f"this is not the desktop tool's database ({error}).") from None
    finally:
        connection.close()
    dataset = ForeignDataset(format="legacy")
    all_parts = {row[0]: _parts(row[2] or row[1]) for row in images}
    shared = _common_folder([parts for parts in all_parts.values() if parts is not None])
    by_id: dict[int, ForeignImage] = {}
    for image_id, filename, _filepath, width, height in images:
        parts = all_parts[image_id]
        found = OUTSIDE if parts is None else remap(parts, pictures_root)
        if parts is None or isinstance(found, str):
            basename = PurePosixPath(str(filename).replace("\\", "/")).name
            image = ForeignImage(name=basename, width=width or None, height=height or None, problem=OUTSIDE)
        else:
            name = "/".join(parts[shared:]) or filename
            image = ForeignImage(name=name, width=width or None, height=height or None, picture=found, group=wire_group_of(name))
        by_id[image_id] = image
        dataset.images.append(image)
    for box_id, image_id, x, y, w, h, view, defect, annotator in boxes:
        where = f"annotations row id {box_id}"
        if image_id not in by_id:
            raise FormatError(path, where, f"image_id {image_id} is not in the images table.")
        if any(value is None for value in (x, y, w, h)) or w <= 0 or h <= 0:
            raise FormatError(path, where, "the box has no width or height.")
        attributes = {"view": str(view or "")}
        if annotator:
            attributes["annotator"] = str(annotator)
        by_id[image_id].boxes.append(
            ForeignBox(label=str(defect), x=float(x), y=float(y), width=float(w), height=float(h), attributes=attributes, where=where)
        )
        if str(defect) not in dataset.labels:
            dataset.labels.append(str(defect))
    return dataset
