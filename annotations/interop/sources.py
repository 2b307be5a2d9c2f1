"""Where an import's files come from: an uploaded file or zip, or a folder under the import root."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings

from annotations.interop.apply import ImportRefused


def unpack_zip(archive: Path, target: Path) -> Path:
    """Extract a zip safely: no absolute or parent paths, no entry over ``ZIP_ENTRY_MAX_BYTES``."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for entry in bundle.infolist():
                name = PurePosixPath(entry.filename.replace("\\", "/"))
                if name.is_absolute() or ".." in name.parts:
                    raise ImportRefused(f"The zip entry {entry.filename!r} points outside the zip; it was refused.")
                if entry.file_size > settings.ZIP_ENTRY_MAX_BYTES:
                    raise ImportRefused(
                        f"The zip entry {entry.filename!r} is {entry.file_size / 1e6:.0f} MB, over the limit (WIRESAG_ZIP_ENTRY_MAX_BYTES)."
                    )
                if entry.is_dir() or name.parts[0] == "__MACOSX":
                    continue
                destination = target.joinpath(*name.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(entry) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
    except zipfile.BadZipFile:
        raise ImportRefused("The uploaded file is not a readable zip archive.") from None
    return target


def prepare(upload: Path, work: Path) -> Path:
    """The folder or file to read: a zip is unpacked into ``work``, anything else read as it is."""
    if zipfile.is_zipfile(upload):
        return unpack_zip(upload, work / "unpacked")
    return upload
