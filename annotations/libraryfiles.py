"""The library's rows against its files under ``media/``: after a restore whose database and ``media/`` come from
different days, or a disk that filled while pictures were stored.

One walk of the three folders the library writes (``images/``, ``display/``, ``thumbs/``) answers for every row at once:
a stat() per picture would cost 30,000 of them on a library of 10,000 pictures.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from annotations.models import ImageQuerySet

#: The folders under ``media/`` that hold the library's files (``annotations.models.image_upload_path``, ``ingest``).
LIBRARY_FOLDERS = ("images", "display", "thumbs")


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
