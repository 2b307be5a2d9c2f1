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
