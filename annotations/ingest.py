"""Taking pictures into the library: validate, deduplicate, store, make display copies."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from PIL import Image as PILImage

from accounts.users import Actor, recorded_user
from annotations.models import Image
from annotations.storing import note_stored
from core.imaging.decode import FORMAT_EXTENSIONS, UnreadableImage, open_image, thumbnail, to_rgb8
from core.labels import parse_wire_name
from core.safepath import without_hidden_characters

THUMBNAIL_SIZE = 256


class DuplicateImage(ValueError):
    """The same bytes are already in the library."""

    def __init__(self, existing: Image) -> None:
        super().__init__(f"This picture is already in the library as {existing.original_name!r} (id {existing.pk}).")
        self.existing = existing


@dataclass(frozen=True)
class IngestResult:
    image: Image
    created: bool


def _saved_name(file: FieldFile) -> str:
    """The storage name of a file just saved (Django sets it on save)."""
    if not file.name:
        raise RuntimeError("The storage returned no name for a saved file.")
    return file.name


def display_name(digest: str) -> str:
    return f"display/{digest[:2]}/{digest}.png"


def thumbnail_name(digest: str) -> str:
    return f"thumbs/{digest[:2]}/{digest}.jpg"


def derived_copies(picture: PILImage.Image) -> tuple[bytes, bytes]:
    """The display copy (8-bit PNG) and the thumbnail (JPEG) of a decoded picture: made at upload, or again by
    ``manage.py library_check --rebuild`` when a restore lost them."""
    display = io.BytesIO()
    to_rgb8(picture).save(display, format="PNG", compress_level=1)
    thumb = io.BytesIO()
    thumbnail(picture, THUMBNAIL_SIZE).save(thumb, format="JPEG", quality=85)
    return display.getvalue(), thumb.getvalue()


def ingest_image(
    data: bytes,
    original_name: str,
    *,
    wire_group: str = "",
    user: Actor = None,
    allow_existing: bool = False,
) -> IngestResult:
    """Validate ``data`` and store it as a new Image.

    Raises ``UnreadableImage`` for bad bytes and ``DuplicateImage`` when the same
    bytes are already stored (unless ``allow_existing``, which returns the stored one).
    Nothing is written when validation fails.
    """
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise UnreadableImage(
            f"The file is {len(data) / 1e6:.1f} MB, over the {settings.UPLOAD_MAX_BYTES / 1e6:.0f} MB limit (WIRESAG_UPLOAD_MAX_BYTES)."
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = Image.objects.filter(sha256=digest).first()
    if existing is not None:
        if allow_existing:
            return IngestResult(existing, created=False)
        raise DuplicateImage(existing)
    picture, info = open_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
    original_name = without_hidden_characters(original_name)  # 'a\u202egnp.POT_1' would show as 'a1_TOP.png'
    parsed = parse_wire_name(original_name)
    image = Image(
        original_name=original_name[:255],
        sha256=digest,
        width=info.width,
        height=info.height,
        bit_depth=info.bit_depth,
        wire_id=parsed.wire_id[:200],
        wire_group=wire_group[:200],
        view=parsed.view or "",
        uploaded_by=recorded_user(user),
    )
    display, thumb = derived_copies(picture)
    stored: list[str] = []
    try:
        with transaction.atomic():
            image.file.save(f"{digest}.{FORMAT_EXTENSIONS[info.format]}", ContentFile(data), save=False)
            stored.append(_saved_name(image.file))
            note_stored(stored[-1])
            image.display_file.save(display_name(digest), ContentFile(display), save=False)
            stored.append(_saved_name(image.display_file))
            note_stored(stored[-1])
            image.thumbnail_file.save(thumbnail_name(digest), ContentFile(thumb), save=False)
            stored.append(_saved_name(image.thumbnail_file))
            note_stored(stored[-1])
            image.save()
    except IntegrityError:
        # Two uploads of the same bytes raced; the other one won.
        for name in stored:
            default_storage.delete(name)
        winner = Image.objects.get(sha256=digest)
        if allow_existing:
            return IngestResult(winner, created=False)
        raise DuplicateImage(winner) from None
    except Exception:
        for name in stored:
            default_storage.delete(name)
        raise
    return IngestResult(image, created=True)
