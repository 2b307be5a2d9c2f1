"""Taking an upload of many files and zips into the library, one result per picture.

One bad file never spoils the others: each picture (or zip entry) is validated
and stored on its own, and gets its own sentence in the results. Zip entries are
never written under their own names (storage names come from the content hash),
and entries whose path tries to leave the archive are refused outright. A zip
with more than ``ZIP_MAX_ENTRIES`` entries or inflating past ``ZIP_MAX_TOTAL_BYTES``
is refused as a whole before any entry is read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from accounts.users import Actor
from annotations.ingest import DuplicateImage, ingest_image
from core.imaging.decode import UnreadableImage
from core.safepath import wire_group_problem

CREATED = "created"
DUPLICATE = "duplicate"
ERROR = "error"
SKIPPED = "skipped"

_CHUNK = 1024 * 1024
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_VIEW_FOLDERS = {"top", "side"}


@dataclass(frozen=True)
class FileResult:
    """What happened to one uploaded picture (a zip entry is named ``archive.zip/entry``)."""

    name: str
    status: str
    message: str
    image_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class EntryTooLarge(ValueError):
    """A zip entry inflated past the limit while it was being read."""


def _over_upload_limit(size: int) -> str:
    return (
        f"The file is {size / 1e6:.1f} MB, over the {settings.UPLOAD_MAX_BYTES / 1e6:.1f} MB limit "
        "(WIRESAG_UPLOAD_MAX_BYTES). Split or shrink it."
    )


def _ingest_bytes(data: bytes, name: str, display_name: str, wire_group: str, user: Actor) -> FileResult:
    try:
        result = ingest_image(data, name, wire_group=wire_group, user=user)
    except DuplicateImage as error:
        return FileResult(display_name, DUPLICATE, str(error), error.existing.pk)
    except UnreadableImage as error:
        return FileResult(display_name, ERROR, str(error))
    except OSError as error:  # a full disk: this picture is not stored (its partial files are removed); the others say theirs
        reason = error.strerror or str(error)
        return FileResult(
            display_name, ERROR, f"The server could not store it ({reason}). Free disk space or ask an administrator, then upload it again."
        )
    return FileResult(display_name, CREATED, f"Added as {result.image.width}x{result.image.height} picture.", result.image.pk)


def is_zip(upload: UploadedFile) -> bool:
    """A zip by name or by its first bytes (browsers send varied content types)."""
    if (upload.name or "").lower().endswith(".zip"):
        return True
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return head in _ZIP_MAGIC


def unsafe_entry_reason(name: str) -> str | None:
    """Why a zip entry's path is refused (absolute, drive letter, ``..``), or None when it is safe."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return "The entry has an absolute path; it was refused so that nothing is written outside the library."
    if ".." in normalised.split("/"):
        return "The entry's path contains '..'; it was refused so that nothing is written outside the library."
    return None


def wire_group_for_entry(entry_name: str, base_group: str) -> str:
    """The folder of a zip entry names its lot (wire ids restart per folder).

    View folders (``Top``/``Side``) are dropped so the two views of one wire,
    kept in sibling folders by the desktop tool, stay a pair.
    """
    folders = [part for part in PurePosixPath(entry_name.replace("\\", "/")).parent.parts if part.lower() not in _VIEW_FOLDERS]
    return "/".join(part for part in [base_group, *folders] if part)


#: A zip entry's name without the UTF-8 flag is in whatever code page its maker used; zipfile reads it as cp437.
#: Windows' own zip (Explorer's "Compressed folder") writes the system's code page, cp950 on the factory's
#: Traditional Chinese machines (Top/晃動/...); other tools write UTF-8 without the flag. Tried in this order.
ZIP_NAME_ENCODINGS = ("utf-8", "cp950")
_UTF8_NAME_FLAG = 0x800


def open_zip(source: str | Path | IO[bytes]) -> zipfile.ZipFile:
    """``zipfile.ZipFile(source)`` with entry names read as their maker wrote them (``ZIP_NAME_ENCODINGS``).

    Only ``ZipInfo.filename`` changes: read the entries by their ``ZipInfo`` (``archive.open(info)``), not by name.
    """
    archive = zipfile.ZipFile(source)
    for info in archive.infolist():
        if info.flag_bits & _UTF8_NAME_FLAG or info.filename.isascii():
            continue
        raw = info.filename.encode("cp437")
        for encoding in ZIP_NAME_ENCODINGS:
            try:
                info.filename = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            break
    return archive


def zip_bounds_problem(archive: zipfile.ZipFile) -> str | None:
    """Why a whole zip is refused before any entry is read (too many entries, too much once inflated), or None.

    The inflated size is the sum of the sizes the entries declare; reading never yields
    more than an entry declares (``zipfile`` stops there and checks the CRC), and
    ``read_entry`` and ``sources.unpack_zip`` count the real bytes besides.
    """
    entries = archive.infolist()
    if len(entries) > settings.ZIP_MAX_ENTRIES:
        return (
            f"The zip holds {len(entries):,} entries, over the limit of {settings.ZIP_MAX_ENTRIES:,} (WIRESAG_ZIP_MAX_ENTRIES). "
            "Split it into smaller zips."
        )
    total = sum(entry.file_size for entry in entries)
    if total > settings.ZIP_MAX_TOTAL_BYTES:
        return over_total_limit(total)
    return None


def over_total_limit(total: int) -> str:
    return (
        f"The zip inflates to {total / 1e6:,.1f} MB, over the {settings.ZIP_MAX_TOTAL_BYTES / 1e6:,.1f} MB limit "
        "(WIRESAG_ZIP_MAX_TOTAL_BYTES); it may be a zip bomb. Split it into smaller zips."
    )


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Inflate one entry, counting real bytes: the sizes in the header may lie."""
    chunks: list[bytes] = []
    total = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise EntryTooLarge(
                    f"The entry inflates past {limit / 1e6:.1f} MB (WIRESAG_ZIP_ENTRY_MAX_BYTES); "
                    "it may be a zip bomb. Add the picture on its own or raise the limit."
                )
            chunks.append(chunk)
    return b"".join(chunks)


def ingest_zip(stream: IO[bytes], archive_name: str, *, wire_group: str = "", user: Actor = None) -> list[FileResult]:
    """Take every picture of a zip into the library, one result per entry."""
    try:
        archive = open_zip(stream)
    except (zipfile.BadZipFile, OSError, EOFError):
        return [FileResult(archive_name, ERROR, "The zip archive is damaged or truncated. Create it again and re-upload.")]
    results: list[FileResult] = []
    inflated = 0
    with archive:
        if problem := zip_bounds_problem(archive):
            return [FileResult(archive_name, ERROR, problem)]
        for info in archive.infolist():
            display_name = f"{archive_name}/{info.filename}"
            if info.is_dir():
                continue
            base = PurePosixPath(info.filename.replace("\\", "/")).name
            if info.filename.startswith("__MACOSX/") or base.startswith("._"):
                results.append(FileResult(display_name, SKIPPED, "macOS metadata, not a picture: skipped."))
                continue
            reason = unsafe_entry_reason(info.filename)
            if reason:
                results.append(FileResult(display_name, ERROR, reason))
                continue
            group = wire_group_for_entry(info.filename, wire_group)
            if problem := wire_group_problem(group):
                results.append(FileResult(display_name, ERROR, f"The entry's folders name its wire group, and cannot: {problem}"))
                continue
            try:
                data = read_entry(archive, info, settings.ZIP_ENTRY_MAX_BYTES)
            except EntryTooLarge as error:
                results.append(FileResult(display_name, ERROR, str(error)))
                continue
            except RuntimeError:
                results.append(FileResult(display_name, ERROR, "The entry is encrypted. Upload an archive without a password."))
                continue
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
                results.append(FileResult(display_name, ERROR, f"The entry is damaged ({error}). Create the archive again and re-upload."))
                continue
            inflated += len(data)
            if inflated > settings.ZIP_MAX_TOTAL_BYTES:
                results.append(FileResult(display_name, ERROR, f"{over_total_limit(inflated)} This entry and the rest were not read."))
                break
            results.append(_ingest_bytes(data, base, display_name, group, user))
    if not results:
        results.append(FileResult(archive_name, ERROR, "The zip archive holds no pictures."))
    return results


def ingest_uploads(files: Iterable[UploadedFile], *, wire_group: str = "", user: Actor = None) -> list[FileResult]:
    """Take uploaded pictures and zips into the library; return one result per picture."""
    results: list[FileResult] = []
    for upload in files:
        name = upload.name or "unnamed"
        if is_zip(upload):
            results.extend(ingest_zip(upload, name, wire_group=wire_group, user=user))
            continue
        if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            results.append(FileResult(name, ERROR, _over_upload_limit(upload.size)))
            continue
        data = b"".join(upload.chunks())
        results.append(_ingest_bytes(data, name, name, wire_group, user))
    return results
