"""The library's rows against its files under ``media/``: after a restore whose database and ``media/`` come from
different days, or a disk that filled while pictures were stored.

One walk of the three folders the library writes (``images/``, ``display/``, ``thumbs/``) answers for every row at once:
a stat() per picture would cost 30,000 of them on a library of 10,000 pictures.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.db.models.expressions import RawSQL

from annotations.ingest import derived_copies, display_name, thumbnail_name
from annotations.models import Image, ImageQuerySet
from annotations.storing import files_being_stored
from core.imaging.decode import UnreadableImage, open_image

#: The folders under ``media/`` that hold the library's files (``annotations.models.image_upload_path``, ``ingest``).
LIBRARY_FOLDERS = ("images", "display", "thumbs")

#: A file without a row younger than this may belong to an upload still storing its files (its row is saved last);
#: an import, whose rows are committed at its end, names its files in a claim instead (``annotations.storing``).
UNCLAIMED_GRACE_SECONDS = 3600


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def stored_files() -> dict[str, float]:
    """Every file of the library's folders by its name in ``media/`` (``thumbs/ab/ab12….jpg``), with its mtime."""
    root = media_root()
    found: dict[str, float] = {}
    for folder in LIBRARY_FOLDERS:
        for directory, _, names in os.walk(root / folder):
            prefix = Path(directory).relative_to(root).as_posix()
            for name in names:
                try:
                    found[f"{prefix}/{name}"] = os.stat(os.path.join(directory, name)).st_mtime
                except OSError:  # removed while walking
                    continue
    return found


def ids_with_missing_files(images: ImageQuerySet, present: set[str] | dict[str, float] | None = None) -> list[int]:
    """The ids of ``images`` one of whose files (original, display copy, thumbnail) is not under ``media/``."""
    present = stored_files() if present is None else present
    rows = images.order_by().values_list("pk", "file", "display_file", "thumbnail_file")
    return [pk for pk, *names in rows.iterator(chunk_size=5000) if any(not name or name not in present for name in names)]


#: A query listing the ids of a JSON array given as one parameter, for each database the settings allow.
_IDS_OF_JSON_ARRAY = {
    "sqlite": "SELECT value FROM json_each(%s)",
    "postgresql": "SELECT jsonb_array_elements_text(%s::jsonb)::bigint",
}


def with_missing_files(images: ImageQuerySet, present: set[str] | dict[str, float] | None = None) -> ImageQuerySet:
    """``images`` narrowed to those one of whose files is not under ``media/``, however many they are.

    The ids go to the database as one JSON array: ``pk__in=ids`` binds a variable per id, and SQLite refuses more than
    32,766 of them (PostgreSQL 65,535 where the driver binds on the server), so the library's Files missing filter
    answered 500 after a restore whose ``media/`` was empty, on a library of 40,000 pictures.
    """
    ids = ids_with_missing_files(images, present)
    ids_of_json = _IDS_OF_JSON_ARRAY.get(connections[images.db].vendor)
    if ids_of_json is None:
        return images.filter(pk__in=ids)
    return images.filter(pk__in=RawSQL(ids_of_json, [json.dumps(ids)]))


@dataclass
class LibraryCheck:
    """What ``check_library`` found; ``rebuildable`` maps a picture to the names of its missing copies."""

    without_original: list[Image] = field(default_factory=list)
    rebuildable: list[tuple[Image, list[str]]] = field(default_factory=list)
    unclaimed: list[str] = field(default_factory=list)
    unclaimed_recent: list[str] = field(default_factory=list)
    being_stored: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.without_original or self.rebuildable or self.unclaimed or self.unclaimed_recent or self.being_stored)


def check_library(now: float | None = None) -> LibraryCheck:
    """Rows whose files are missing and files under the library's folders that no row names."""
    now = time.time() if now is None else now
    files = stored_files()
    # Read after the walk and before the rows: a file the walk saw whose import has ended since has its row below.
    storing = files_being_stored()
    claimed: set[str] = set()
    check = LibraryCheck()
    for image in Image.objects.order_by("pk").iterator(chunk_size=2000):
        names = [image.file.name or "", image.display_file.name or "", image.thumbnail_file.name or ""]
        claimed.update(names)
        if not names[0] or names[0] not in files:
            check.without_original.append(image)
        elif missing := [name for name in names[1:] if not name or name not in files]:
            check.rebuildable.append((image, missing))
    for name, mtime in sorted(files.items()):
        if name in claimed:
            continue
        if name in storing:
            check.being_stored.append(name)
            continue
        (check.unclaimed_recent if now - mtime < UNCLAIMED_GRACE_SECONDS else check.unclaimed).append(name)
    return check


def rebuild_copies(image: Image) -> str:
    """Make the display copy and thumbnail of ``image`` again from its original; "" when done, else why not."""
    try:
        with default_storage.open(image.file.name or "", "rb") as stream:
            data = stream.read()
        picture, _ = open_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
    except (OSError, UnreadableImage) as error:
        return f"its original media/{image.file.name} cannot be read ({error})"
    display, thumb = derived_copies(picture)
    for file, default_name, content in (
        (image.display_file, display_name(image.sha256), display),
        (image.thumbnail_file, thumbnail_name(image.sha256), thumb),
    ):
        name = file.name or default_name
        if default_storage.exists(name):
            continue
        try:
            file.name = default_storage.save(name, ContentFile(content))
        except OSError as error:  # a full disk: said, and the next run of the check tries again
            return f"media/{name} cannot be written ({error.strerror or error}); free disk space and run the check again"
    image.save(update_fields=["display_file", "thumbnail_file"])
    return ""
