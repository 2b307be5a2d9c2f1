"""A deleted picture takes its files with it, once the deletion is committed."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from annotations.models import Image


@receiver(post_delete, sender=Image, dispatch_uid="annotations.delete_image_files")
def delete_image_files(sender: type[Image], instance: Image, **kwargs: Any) -> None:
    """Remove the files after commit: a rolled-back deletion must not lose the picture.

    Any deletion counts (the admin, a queryset, a cascade), so a deleted picture is never
    left on disk for anyone who kept its address.
    """
    names = instance.stored_names()

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
