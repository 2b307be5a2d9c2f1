"""The commands the docs tell users to run: a plausible mistake gets a sentence (CommandError), never a traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Annotation, Image
from tests.conftest import png_bytes

pytestmark = pytest.mark.django_db


def yolo_folder(folder: Path, pictures: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "classes.txt").write_text("PASS\n")
    for name, data in pictures.items():
        (folder / name).write_bytes(data)
        (folder / (name.rsplit(".", 1)[0] + ".txt")).write_text("0 0.5 0.5 0.2 0.2\n")
    return folder


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("labels:\n  PASS: {defect: PASS, view: TOP}\n", "is not a JSON file"),  # YAML by mistake
        ('["PASS"]', "must hold a JSON object with 'labels'"),
    ],
)
def test_import_with_a_mapping_file_that_is_no_json_mapping(tmp_path, content: str, sentence: str) -> None:  # type: ignore[no-untyped-def]
    source = yolo_folder(tmp_path / "lot", {"a_TOP.png": png_bytes(seed=1)})
    mapping = tmp_path / "mapping.json"
    mapping.write_text(content)
    with pytest.raises(CommandError, match=sentence):
        call_command("import_annotations", str(source), "--mapping", str(mapping), "--dry-run")


def test_import_leaves_out_a_truncated_picture_and_names_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = yolo_folder(tmp_path / "lot", {"a_TOP.png": png_bytes(seed=1), "b_TOP.png": png_bytes(seed=2)[:-60]})
    out = io.StringIO()
    call_command("import_annotations", str(source), "--map", "PASS=PASS:TOP", stdout=out)
    assert "Left out with its boxes, it could not be read: b_TOP.png" in out.getvalue()
    assert list(Image.objects.values_list("original_name", flat=True)) == ["a_TOP.png"]


def one_annotated(make_image) -> Image:  # type: ignore[no-untyped-def]
    image = make_image()
    Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
    return image


def test_export_into_a_folder_that_does_not_exist(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    one_annotated(make_image)
    with pytest.raises(CommandError, match="There is no folder .*no-such-folder; create it first"):
        call_command("export_annotations", str(tmp_path / "no-such-folder" / "out.zip"), "--format", "coco")


def test_export_with_a_picture_missing_on_disk_says_so_and_leaves_no_half_zip(make_image, tmp_path) -> None:  # type: ignore[no-untyped-def]
    image = one_annotated(make_image)
    one_annotated(make_image)
    Path(image.file.path).unlink()
    target = tmp_path / "exports" / "out.zip"
    target.parent.mkdir()
    with pytest.raises(CommandError, match=f"1 picture of the selection is missing its file in the data folder: {image.original_name}"):
        call_command("export_annotations", str(target), "--format", "coco")
    assert list(target.parent.iterdir()) == []  # neither the zip nor its .part


def test_train_with_a_config_that_is_not_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "best.pt"
    config.write_bytes(b"\x80\x02\x8a\x0alZ\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02}q\x00(X\x10\x00\x00\x00protocol_version")
    with pytest.raises(CommandError, match="best.pt is not text; give a YAML file of settings"):
        call_command("train", "view", "--config", str(config))
