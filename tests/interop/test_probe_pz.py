"""Probing export_annotations as a careless operator runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Annotation

pytestmark = pytest.mark.django_db


def one_annotated(make_image) -> None:  # type: ignore[no-untyped-def]
    Annotation.objects.create(image=make_image(), x=1, y=1, width=10, height=10, view="TOP", defect="PASS")


# --- 1. export_annotations var/wiresag.sqlite3 (a slip of the tab key) wrote the zip over the live database -----------


@pytest.mark.parametrize("inside", ["wiresag.sqlite3", "media/../wiresag.sqlite3", "models/x.zip"])
def test_export_refuses_a_target_inside_the_data_folder(make_image, settings, tmp_path: Path, inside: str) -> None:  # type: ignore[no-untyped-def]
    one_annotated(make_image)
    settings.DATA_DIR = tmp_path / "data"
    for folder in ("media", "models"):
        (settings.DATA_DIR / folder).mkdir(parents=True)
    database = settings.DATA_DIR / "wiresag.sqlite3"
    database.write_bytes(b"SQLite format 3\x00 the library")
    with pytest.raises(CommandError, match=r"inside the data folder .*Write it to a folder outside"):
        call_command("export_annotations", str(settings.DATA_DIR / inside), "--format", "coco", "--no-pictures")
    assert database.read_bytes() == b"SQLite format 3\x00 the library"
    assert not (settings.DATA_DIR / "models" / "x.zip").exists()


# --- 2. export_annotations exports/ (the folder meant for the zip) wrote the whole zip, then failed with "[Errno 21]" ----


def test_export_refuses_a_target_that_is_a_folder_before_exporting(make_image, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_annotated(make_image)
    (tmp_path / "exports").mkdir()
    with pytest.raises(CommandError, match=r"exports is a folder; give the zip file to write, for example .*exports/annotations\.zip"):
        call_command("export_annotations", str(tmp_path / "exports"), "--format", "coco")
    assert not (tmp_path / "exports.part").exists()
    assert list((tmp_path / "exports").iterdir()) == []


# --- 3. import_annotations --save-mapping NAME replaced another person's saved mapping of that name without a word ---------


def yolo_lot(folder: Path) -> Path:
    from tests.conftest import png_bytes

    folder.mkdir(parents=True)
    (folder / "classes.txt").write_text("PASS\n")
    (folder / "a_TOP.png").write_bytes(png_bytes(seed=1))
    (folder / "a_TOP.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    return folder


def test_save_mapping_keeps_a_mapping_another_person_saved_under_that_name(annotator, engineer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The import page keeps theirs and says so; the command replaced it, and Anna's next import that loaded "lot mapping"
    brought every box in with Erik's labels."""
    from annotations.models import LabelMapping

    theirs = {"labels": {"PASS": {"defect": "SWEEP", "view": "TOP"}}, "attributes": {}}
    LabelMapping.objects.create(name="lot mapping", mapping=theirs, source_format="yolo", created_by=annotator)
    source = yolo_lot(tmp_path / "lot")
    for user in (["--user", engineer.username], []):
        with pytest.raises(CommandError, match=r"\"lot mapping\" is anna's, so this mapping was not saved .*choose another name"):
            call_command("import_annotations", str(source), "--map", "PASS=TOUCH:TOP", "--save-mapping", "lot mapping", *user)
        saved = LabelMapping.objects.get(name="lot mapping")
        assert saved.created_by == annotator and saved.mapping == theirs
    assert not Annotation.objects.exists()


def test_save_mapping_with_a_name_longer_than_the_field_is_a_sentence(tmp_path: Path) -> None:
    """Stored whole on SQLite, a database error (traceback) on PostgreSQL."""
    from annotations.models import LabelMapping

    with pytest.raises(CommandError, match="at most 100 characters"):
        source = yolo_lot(tmp_path / "lot")
        call_command("import_annotations", str(source), "--map", "PASS=PASS:TOP", "--save-mapping", "m" * 101, "--dry-run")
    assert not LabelMapping.objects.exists()
