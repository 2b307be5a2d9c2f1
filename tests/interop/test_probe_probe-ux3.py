"""Follow-ups of earlier probes: ``export_annotations`` on a path someone else prepared with a link."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Annotation


def one_annotated(make_image) -> None:  # type: ignore[no-untyped-def]
    Annotation.objects.create(image=make_image(), x=1, y=1, width=10, height=10, view="TOP", defect="PASS")


@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]])
def test_export_refuses_a_target_that_is_a_dangling_link_and_writes_nothing_where_it_points(  # type: ignore[no-untyped-def]
    make_image, tmp_path: Path, overwrite: list[str]
) -> None:
    one_annotated(make_image)
    elsewhere = tmp_path / "admin-home" / ".profile"
    elsewhere.parent.mkdir()
    (tmp_path / "shared").mkdir()
    link = tmp_path / "shared" / "labels.zip"
    link.symlink_to(elsewhere)
    with pytest.raises(
        CommandError, match=rf"The zip {link} is a symbolic link to {elsewhere}, which leads to no file yet; .*Remove the link"
    ):
        call_command("export_annotations", str(link), "--format", "coco", "--no-pictures", *overwrite)
    assert not elsewhere.exists()
    assert link.is_symlink() and sorted(path.name for path in link.parent.iterdir()) == ["labels.zip"]


def test_export_refuses_a_target_linked_to_another_file_even_with_overwrite(make_image, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_annotated(make_image)
    victim = tmp_path / "notes.txt"
    victim.write_text("the administrator's notes", encoding="utf-8")
    link = tmp_path / "labels.zip"
    link.symlink_to(victim)
    with pytest.raises(CommandError, match=r"is a symbolic link to .*notes\.txt; nothing is written through a link"):
        call_command("export_annotations", str(link), "--format", "coco", "--no-pictures", "--overwrite")
    assert victim.read_text(encoding="utf-8") == "the administrator's notes"


def test_export_does_not_write_through_a_link_planted_at_its_partial_file(make_image, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The zip was written to ``<target>.part``, a name anyone able to write in the folder could prepare as a link."""
    one_annotated(make_image)
    victim = tmp_path / "notes.txt"
    victim.write_text("the administrator's notes", encoding="utf-8")
    (tmp_path / "shared").mkdir()
    target = tmp_path / "shared" / "labels.zip"
    (tmp_path / "shared" / "labels.zip.part").symlink_to(victim)
    call_command("export_annotations", str(target), "--format", "coco", "--no-pictures")
    assert victim.read_text(encoding="utf-8") == "the administrator's notes"
    assert not target.is_symlink() and zipfile.is_zipfile(target)
    assert sorted(path.name for path in target.parent.iterdir()) == ["labels.zip", "labels.zip.part"]


def test_export_follows_a_linked_folder_above_the_zip_like_any_program(make_image, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_annotated(make_image)
    (tmp_path / "big-disk").mkdir()
    (tmp_path / "exports").symlink_to(tmp_path / "big-disk")
    call_command("export_annotations", str(tmp_path / "exports" / "labels.zip"), "--format", "coco", "--no-pictures")
    assert zipfile.is_zipfile(tmp_path / "big-disk" / "labels.zip")
