"""What goes into an inspection, without the models: picture inputs, folders, thresholds.

Kept apart from ``inference`` (which loads torch and Ultralytics) so that the web
process can describe and queue inspections without importing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.imaging.decode import UnreadableImage
from core.labels import parse_wire_name

DEFAULT_CONF_THRESHOLD = 0.25
#: A picture's most confident loop is kept down to this confidence even below the threshold: on real-dev
#: (3 seeds x 5 grouped folds, cpu-quick detectors) 12 % of the pictures got no box at all at 0.25, so
#: their wires got no verdict; every X-ray is taken of a wire (docs/training.md, "Real pictures").
LONE_LOOP_FLOOR = 0.05
#: Pictures whose suffix is one of these are inspected when a folder is given.
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"}
#: Pictures in formats Wiresag does not read: listed in the report with a sentence, not left out silently.
OTHER_PICTURE_SUFFIXES = {".webp", ".gif", ".heic", ".heif", ".avif", ".jp2", ".j2k", ".jxl", ".ico", ".svg", ".dng", ".psd"}

#: Folders that hold one view of every wire (the desktop tool's ``Top/`` and ``Side/``): not part of a wire's identity.
VIEW_FOLDERS = frozenset({"top", "side"})


def unsupported_format(name: str) -> str:
    """The sentence for a picture in a format Wiresag does not read, or "" for one it reads (or no picture at all)."""
    suffix = Path(name).suffix.lower()
    if suffix not in OTHER_PICTURE_SUFFIXES:
        return ""
    return f"{suffix[1:].upper()} pictures cannot be inspected; save it as PNG, JPEG, BMP or TIFF and inspect it again."


class ModelUnavailable(RuntimeError):
    """A model file is missing or is not a model of the expected kind; the message says what to do."""


@dataclass(frozen=True)
class PictureInput:
    """One picture to inspect: its name (for the report), where its bytes are, and its wire.

    ``wire_id`` defaults to the id in the file name; callers that know the wire's
    group (a lot, a folder) pass the full identity. ``ref`` comes back untouched.
    """

    name: str
    path: Path | None = None
    data: bytes | None = None
    wire_id: str | None = None
    view: str | None = None
    ref: Any = None
    #: Why the picture cannot be read, when the caller knew before decoding (e.g. a refused zip entry).
    error: str = ""

    def read(self) -> bytes:
        if self.error:
            raise UnreadableImage(self.error)
        if self.data is not None:
            return self.data
        if self.path is None:
            raise UnreadableImage("No picture was given.")
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise UnreadableImage(f"The file {self.path} cannot be read ({error.strerror}); check that it exists.") from None


def pictures_in_folder(folder: Path) -> list[PictureInput]:
    """Every picture below ``folder``; the wire is its sub-folder (without view folders) plus its id (ids restart per folder)."""
    inputs = []
    for path in sorted(folder.rglob("*")):
        suffix = path.suffix.lower()
        if suffix not in PICTURE_SUFFIXES and suffix not in OTHER_PICTURE_SUFFIXES:
            continue
        broken_link = path.is_symlink() and not path.exists()
        if not path.is_file() and not broken_link:
            continue
        relative = path.relative_to(folder)
        parsed = parse_wire_name(path.name)
        # View folders (the desktop tool's Top/ and Side/) are left out, so the two views of a wire stay one wire,
        # as in a zip on the Inspect page and in the library (annotations.upload.wire_group_for_entry).
        group = "/".join(part for part in relative.parent.parts if part.casefold() not in VIEW_FOLDERS)
        wire_id = f"{group}/{parsed.wire_id}" if group else parsed.wire_id
        error = unsupported_format(path.name)
        if broken_link:
            error = "The file is a link to a picture that is not there any more; copy the picture itself into the folder."
        inputs.append(PictureInput(name=relative.as_posix(), path=path, wire_id=wire_id, view=parsed.view, error=error))
    return inputs
