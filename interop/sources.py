"""Where an import's files come from: an uploaded file or zip, or a folder under the import root.

Unpacking is bounded: the zip's entries and inflated size (``ZIP_MAX_ENTRIES``,
``ZIP_MAX_TOTAL_BYTES``, each entry ``ZIP_ENTRY_MAX_BYTES``), and the disk must keep
``IMPORT_MIN_FREE_BYTES`` free afterwards. A refused zip leaves nothing behind.
"""

from __future__ import annotations

import errno
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings

from annotations.upload import open_zip, over_total_limit, zip_bounds_problem
from interop.apply import ImportRefused

_CHUNK = 1024 * 1024


def ensure_room(folder: Path, needed: int) -> None:
    """Refuse to write ``needed`` bytes below ``folder`` when that would leave less than ``IMPORT_MIN_FREE_BYTES`` free."""
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    free = shutil.disk_usage(existing).free
    if free - needed < settings.IMPORT_MIN_FREE_BYTES:
        raise ImportRefused(
            f"The server has no room for this import ({needed / 1e6:,.1f} MB to write, and "
            "WIRESAG_IMPORT_MIN_FREE_BYTES must stay free). Import a smaller zip, or ask an administrator to free disk space."
        )


def _copy_bounded(source: IO[bytes], sink: Path, name: str, written: int) -> int:
    """Copy one entry, counting the real bytes against the entry and the total limits; the new total."""
    size = 0
    with sink.open("wb") as handle:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > settings.ZIP_ENTRY_MAX_BYTES:
                raise ImportRefused(f"The zip entry {name!r} inflates past the limit (WIRESAG_ZIP_ENTRY_MAX_BYTES); it was refused.")
            if written + size > settings.ZIP_MAX_TOTAL_BYTES:
                raise ImportRefused(over_total_limit(written + size))
            handle.write(chunk)
    return written + size


def _unpack(bundle: zipfile.ZipFile, target: Path) -> None:
    if problem := zip_bounds_problem(bundle):
        raise ImportRefused(problem)
    entries = bundle.infolist()
    for entry in entries:
        name = PurePosixPath(entry.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or (name.parts and name.parts[0][1:2] == ":"):
            raise ImportRefused(f"The zip entry {entry.filename!r} points outside the zip; it was refused.")
        if entry.file_size > settings.ZIP_ENTRY_MAX_BYTES:
            raise ImportRefused(
                f"The zip entry {entry.filename!r} is {entry.file_size / 1e6:.0f} MB, over the limit (WIRESAG_ZIP_ENTRY_MAX_BYTES)."
            )
    ensure_room(target, sum(entry.file_size for entry in entries))
    written = 0
    for entry in entries:
        name = PurePosixPath(entry.filename.replace("\\", "/"))
        if entry.is_dir() or name.parts[0] == "__MACOSX":
            continue
        destination = target.joinpath(*name.parts)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(entry) as source:
                written = _copy_bounded(source, destination, entry.filename, written)
        except OSError as error:
            if problem := _unwritable_entry(entry.filename, error):
                raise ImportRefused(problem) from None
            raise


def _unwritable_entry(name: str, error: OSError) -> str | None:
    """Why the zip entry ``name`` cannot be written to the server's disk, as a sentence; None for any other error."""
    if error.errno == errno.ENAMETOOLONG:
        return (
            f"The zip entry {name!r} has a folder or file name too long for the server's disk (at most 255 bytes each, "
            "about 85 Chinese characters); shorten it and zip it again."
        )
    if error.errno in (errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
        return (
            f"The zip entry {name!r} cannot be unpacked: the zip holds a file and a folder of the same name on its way. "
            "Rename one of them and zip it again."
        )
    return None


def unpack_zip(archive: Path, target: Path) -> Path:
    """Extract a zip safely into ``target``: every entry checked and the space checked before the first byte is written."""
    try:
        with open_zip(archive) as bundle:
            _unpack(bundle, target)
    except zipfile.BadZipFile:
        shutil.rmtree(target, ignore_errors=True)
        raise ImportRefused("The uploaded file is not a readable zip archive.") from None
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def prepare(upload: Path, work: Path) -> Path:
    """The folder or file to read: a zip is unpacked into ``work``, anything else read as it is."""
    if zipfile.is_zipfile(upload):
        return unpack_zip(upload, work / "unpacked")
    return upload
