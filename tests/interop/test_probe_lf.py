"""Small things users hit: ``manage.py export_annotations`` over a zip already there."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Annotation

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_box(make_image) -> None:  # type: ignore[no-untyped-def]
    Annotation.objects.create(image=make_image(), x=1, y=1, width=10, height=10, view="TOP", defect="PASS")


def test_export_refuses_to_replace_a_zip_already_there_and_keeps_it(one_box, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An operator who typed the name of yesterday's export lost it without a word."""
    (tmp_path / "exports").mkdir()
    target = tmp_path / "exports" / "yesterday.zip"
    target.write_bytes(b"yesterday's export")
    with pytest.raises(CommandError, match=r"yesterday\.zip is already there .*nothing was exported.*--overwrite"):
        call_command("export_annotations", str(target), "--format", "coco", "--no-pictures")
    assert target.read_bytes() == b"yesterday's export"
    assert list(target.parent.iterdir()) == [target]  # no .part left either


def test_export_with_overwrite_replaces_the_zip(one_box, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "yesterday.zip"
    target.write_bytes(b"yesterday's export")
    call_command("export_annotations", str(target), "--format", "coco", "--no-pictures", "--overwrite", stdout=io.StringIO())
    assert zipfile.is_zipfile(target)
