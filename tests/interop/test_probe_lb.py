"""Exporting a library some of whose pictures' files a restore did not bring back."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Annotation, Image


def annotated(make_image, name: str, group: str = "") -> Image:  # type: ignore[no-untyped-def]
    image = make_image(name, 40, 30, wire_group=group)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="TOP", defect="PASS")
    return image


def lose_original(image: Image) -> None:
    (Path(settings.MEDIA_ROOT) / image.file.name).unlink()


def test_an_export_with_pictures_names_every_picture_whose_file_is_missing_by_its_library_name(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It stopped at the first with 'The stored picture 3f9a…c1.png is missing', a hash nobody can find in the library."""
    from interop.exports import run_export, start_export, status_of

    settings.DATA_DIR = tmp_path / "data"
    annotated(make_image, "001_TOP.png", "lot7")
    for image in (annotated(make_image, "002_TOP.png", "lot7"), annotated(make_image, "003_TOP.png")):
        lose_original(image)
    status = start_export({}, "coco", include_pictures=True, for_training=True)
    run_export(status.id)
    message = status_of(status.id).message
    assert "2 pictures of the selection are missing their file in the data folder: lot7/002_TOP.png, 003_TOP.png." in message
    assert "Files missing" in message and "export the labels only" in message
    assert "stored picture" not in message


def test_an_export_of_labels_only_is_not_stopped_by_missing_picture_files(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from interop.exports import run_export, start_export, status_of

    settings.DATA_DIR = tmp_path / "data"
    lose_original(annotated(make_image, "001_TOP.png"))
    status = start_export({}, "csv", include_pictures=False, for_training=True)
    run_export(status.id)
    assert status_of(status.id).message.startswith("Exported 1 boxes on 1 pictures")


def test_export_annotations_names_the_pictures_whose_file_is_missing_instead_of_a_traceback(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lose_original(annotated(make_image, "001_TOP.png"))
    annotated(make_image, "002_TOP.png")
    with pytest.raises(CommandError, match=r"1 picture of the selection is missing its file in the data folder: 001_TOP\.png\."):
        call_command("export_annotations", str(tmp_path / "out.zip"), "--format", "yolo", stdout=StringIO())
    assert not (tmp_path / "out.zip").exists()
