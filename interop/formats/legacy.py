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

import math
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
        try:
            if not is_inside(candidate, pictures_root):
                return OUTSIDE
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):  # a name longer than the file system allows, a NUL byte: no such picture
            continue
    return None


VIEW_FOLDERS = frozenset({"top", "side"})


def wire_group_of(name: str) -> str:
    """The folder part of ``name`` without the view folders: ``Top/沖線/001_TOP.jpg`` -> ``沖線``."""
    return "/".join(part for part in group_of(name).split("/") if part and part.casefold() not in VIEW_FOLDERS)


#: The most rows read from each table, and the longest text or blob in a cell: a database that needs more
#: is refused with a sentence (the desktop tool's own held 172 pictures).
MAX_IMAGES, MAX_BOXES, MAX_CELL_BYTES = 100_000, 1_000_000, 100_000
#: SQLite steps a read may take before it is stopped (a few seconds of work; a plain table needs far fewer).
MAX_STEPS = 50_000_000
_STEPS_PER_CHECK = 10_000
_IMAGES = "SELECT id, filename, filepath, width, height FROM images ORDER BY id LIMIT ?"
_BOXES = (
    "SELECT id, image_id, bbox_x, bbox_y, bbox_width, bbox_height, view_type, defect_type, annotator FROM annotations ORDER BY id LIMIT ?"
)


def _plain_tables(connection: sqlite3.Connection, path: Path) -> None:
    """``images`` and ``annotations`` must be stored tables: a view or virtual table would run the file's own SQL."""
    kinds = dict(  # SQLite's names ignore case: a view called IMAGES answers to "images"
        connection.execute(
            "SELECT lower(name), CASE WHEN sql LIKE 'CREATE VIRTUAL%' THEN 'virtual table' ELSE type END FROM sqlite_master "
            "WHERE lower(name) IN ('images', 'annotations')"
        ).fetchall()
    )
    for table in ("images", "annotations"):
        if kinds.get(table, "table") != "table":
            raise FormatError(path, table, f"'{table}' is a {kinds[table]}, not a table; export the desktop tool's database again.")
        generated = [row[1] for row in connection.execute(f"PRAGMA table_xinfo({table})").fetchall() if row[6] in (2, 3)]
        if generated:
            raise FormatError(
                path, table, f"column {generated[0]} is computed by the file's own SQL; export the desktop tool's database again."
            )


def _rows(connection: sqlite3.Connection, path: Path, query: str, table: str, limit: int) -> list[tuple]:
    rows = connection.execute(query, (limit + 1,)).fetchall()
    if len(rows) > limit:
        raise FormatError(path, table, f"holds more than {limit:,} rows, more than one import takes; split the database.")
    return rows


def _read_tables(path: Path) -> tuple[list[tuple], list[tuple]]:
    """Both tables' rows, read with bounded rows, cell sizes and work."""
    try:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise FormatError(path, "", "this is not an SQLite database (the desktop tool's annotations.db).")
        connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro&immutable=1", uri=True)
    except OSError as error:
        raise FormatError(path, "", f"cannot be opened ({error.strerror}).") from None
    steps = 0

    def stop_when_too_long() -> int:
        nonlocal steps
        steps += _STEPS_PER_CHECK
        return 1 if steps > MAX_STEPS else 0

    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_CELL_BYTES)
    connection.set_progress_handler(stop_when_too_long, _STEPS_PER_CHECK)
    try:
        _plain_tables(connection, path)
        images = _rows(connection, path, _IMAGES, "images", MAX_IMAGES)
        boxes = _rows(connection, path, _BOXES, "annotations", MAX_BOXES)
    except sqlite3.DatabaseError as error:
        if steps > MAX_STEPS:
            reason = "reading it takes far longer than a desktop tool's database"
        elif "too big" in str(error):
            reason = f"a value is longer than {MAX_CELL_BYTES:,} bytes"
        else:
            reason = str(error)
        raise FormatError(path, "tables images/annotations", f"this is not the desktop tool's database ({reason}).") from None
    finally:
        connection.close()
    return images, boxes


def _text(value: object, path: Path, where: str, column: str) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, int | float):
        return str(value)
    raise FormatError(path, where, f"{column} holds binary data, where the desktop tool keeps text.")


def _number(value: object, path: Path, where: str, column: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FormatError(path, where, f"{column} is {str(value)[:40]!r}, where a number of pixels belongs.")
    return float(value)


def _size(value: object) -> int | None:
    """A stored width or height; anything but a positive whole number counts as unknown (read from the picture)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        return None
    return int(value)


def read(path: Path, pictures_root: Path | None = None) -> ForeignDataset:
    """Read ``annotations.db``; pictures are looked up below ``pictures_root`` (default: the db's folder)."""
    pictures_root = pictures_root or path.parent
    images, boxes = _read_tables(path)
    dataset = ForeignDataset(format="legacy")
    names: dict[object, tuple[str, str]] = {}
    for image_id, filename, filepath, *_ in images:
        where = f"images row id {image_id}"
        if not isinstance(image_id, int):
            raise FormatError(path, where, "the id is not a whole number.")
        names[image_id] = (_text(filename, path, where, "filename"), _text(filepath, path, where, "filepath"))
    all_parts = {image_id: _parts(filepath or filename) for image_id, (filename, filepath) in names.items()}
    shared = _common_folder([parts for parts in all_parts.values() if parts is not None])
    by_id: dict[int, ForeignImage] = {}
    for image_id, _filename, _filepath, width, height in images:
        filename = names[image_id][0]
        parts = all_parts[image_id]
        found = OUTSIDE if parts is None else remap(parts, pictures_root)
        if parts is None or isinstance(found, str):
            basename = PurePosixPath(filename.replace("\\", "/")).name
            image = ForeignImage(name=basename, width=_size(width), height=_size(height), problem=OUTSIDE)
        else:
            name = "/".join(parts[shared:]) or filename
            image = ForeignImage(name=name, width=_size(width), height=_size(height), picture=found, group=wire_group_of(name))
        by_id[image_id] = image
        dataset.images.append(image)
    for box_id, image_id, x, y, w, h, view, defect, annotator in boxes:
        where = f"annotations row id {box_id}"
        if not isinstance(image_id, int) or image_id not in by_id:
            raise FormatError(path, where, f"image_id {str(image_id)[:40]} is not in the images table.")
        if any(value is None for value in (x, y, w, h)):
            raise FormatError(path, where, "the box has no width or height.")
        x, y, w, h = (
            _number(value, path, where, column)
            for value, column in zip((x, y, w, h), ("bbox_x", "bbox_y", "bbox_width", "bbox_height"), strict=True)
        )
        if w <= 0 or h <= 0:
            raise FormatError(path, where, "the box has no width or height.")
        label = _text(defect, path, where, "defect_type")
        attributes = {"view": _text(view, path, where, "view_type")}
        if annotator:
            attributes["annotator"] = _text(annotator, path, where, "annotator")
        by_id[image_id].boxes.append(ForeignBox(label=label, x=x, y=y, width=w, height=h, attributes=attributes, where=where))
        if label not in dataset.labels:
            dataset.labels.append(label)
    return dataset
