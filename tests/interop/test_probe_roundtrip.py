"""A library exported and imported into an empty one comes back whole, or the app says what it left out."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from annotations.models import Annotation, Image
from interop.apply import apply_plan, plan_import
from interop.export import EXPORT_FORMATS, export_zip, select
from interop.mapping import clean, suggest
from interop.reading import read_source


def library_boxes() -> dict[tuple[str, str], list[tuple[float, float, float, float, str, str, str, str]]]:
    return {
        (image.wire_group, image.original_name): sorted(
            (round(a.x, 1), round(a.y, 1), round(a.width, 1), round(a.height, 1), a.view, a.defect, a.source, a.review_state)
            for a in image.annotations.all()
        )
        for image in Image.objects.all()
    }


def export_then_import_into_an_empty_library(tmp_path: Path, format_name: str, *, for_training: bool = True):  # type: ignore[no-untyped-def]
    archive = tmp_path / f"{format_name}.zip"
    export_zip(select(for_training=for_training), format_name, archive)
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(tmp_path / format_name)
    Image.objects.all().delete()  # a fresh, empty library
    dataset = read_source(tmp_path / format_name)
    plan = plan_import(dataset, clean(suggest(dataset)))
    apply_plan(plan, None)
    return plan


@pytest.mark.parametrize("format_name", list(EXPORT_FORMATS))
def test_pictures_whose_names_differ_only_in_case_both_come_back(make_image, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """Wire A7 and wire a7: the import found both files for each name and called both 'missing picture'."""
    for index, name in enumerate(["A7_TOP.png", "a7_TOP.png"]):
        image = make_image(name, 80, 60)
        Annotation.objects.create(image=image, x=1 + index, y=1, width=10, height=10, view="TOP", defect="PASS")
    before = library_boxes()
    plan = export_then_import_into_an_empty_library(tmp_path, format_name)
    assert plan.skipped == []
    assert library_boxes() == before


@pytest.fixture
def one_wire_as_png_and_jpg(make_image, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The same wire's SIDE picture uploaded twice, once as PNG and once as JPEG (different bytes)."""
    from io import BytesIO

    from PIL import Image as PILImage

    from annotations.ingest import ingest_image

    settings.DATA_DIR = tmp_path / "data"
    png = make_image("002_SIDE.png", 80, 60)
    buffer = BytesIO()
    PILImage.new("RGB", (80, 60), (90, 90, 90)).save(buffer, format="JPEG")
    jpg = ingest_image(buffer.getvalue(), "002_SIDE.jpg").image
    Annotation.objects.create(image=png, x=2, y=2, width=5, height=5, view="SIDE", defect="TOUCH")
    Annotation.objects.create(image=jpg, x=7, y=7, width=5, height=5, view="SIDE", defect="PASS")


@pytest.mark.parametrize("format_name", ["yolo", "voc"])
def test_export_command_refuses_two_pictures_that_would_share_one_label_file(one_wire_as_png_and_jpg, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """YOLO and VOC name the label file after the picture without its suffix: one picture's boxes were silently lost."""
    from django.core.management import CommandError, call_command

    target = tmp_path / "out.zip"
    with pytest.raises(CommandError, match=r"002_SIDE\.png and 002_SIDE\.jpg would share one label file .* Export in COCO"):
        call_command("export_annotations", str(target), "--format", format_name)
    assert not target.exists()


def test_export_page_says_why_a_yolo_export_of_two_pictures_of_one_stem_stopped(  # type: ignore[no-untyped-def]
    client, annotator, one_wire_as_png_and_jpg, django_capture_on_commit_callbacks
) -> None:
    from interop.exports import root, run_export, status_of

    client.force_login(annotator)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post("/export/", {"format": "yolo"}).status_code == 302
    (job_id,) = [path.name for path in root().iterdir()]
    run_export(job_id)
    status = status_of(job_id)
    assert status.state == "failed"
    assert status.message.startswith("002_SIDE.png and 002_SIDE.jpg would share one label file (002_SIDE.txt)")
    page = client.get(f"/export/{job_id}/").content.decode()
    assert "would share one label file" in page


@pytest.fixture
def boxes_in_review(make_image):  # type: ignore[no-untyped-def]
    image = make_image("003_TOP.png", 80, 60)
    Annotation.objects.create(image=image, x=1, y=1, width=9, height=9, view="TOP", defect="PASS")
    for x, state in ((20, "pending"), (40, "rejected")):
        Annotation.objects.create(image=image, x=x, y=20, width=9, height=9, view="TOP", defect="TOUCH", source="model", review_state=state)


@pytest.mark.parametrize("format_name", ["coco", "cvat", "voc", "labelstudio", "csv"])
def test_model_boxes_waiting_for_review_or_rejected_come_back_so(boxes_in_review, tmp_path, format_name) -> None:  # type: ignore[no-untyped-def]
    """An export with 'include model boxes waiting for review or rejected', imported again, made a rejected
    model box an ordinary human box: one the models learn from."""
    before = library_boxes()
    plan = export_then_import_into_an_empty_library(tmp_path, format_name, for_training=False)
    assert plan.skipped == []
    assert library_boxes() == before
    assert Annotation.objects.for_training().count() == 1


def test_yolo_export_says_it_cannot_mark_boxes_waiting_for_review_or_rejected(boxes_in_review, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("export_annotations", str(tmp_path / "out.zip"), "--format", "yolo", "--all-boxes", stdout=out)
    assert "2 of the boxes wait for review or were rejected" in out.getvalue()
    out = StringIO()
    call_command("export_annotations", str(tmp_path / "coco.zip"), "--format", "coco", "--all-boxes", stdout=out)
    assert "wait for review" not in out.getvalue()
