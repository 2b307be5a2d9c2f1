"""Imports at a factory's scale: a dry run whose database work grew with the pictures of the import."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Image
from interop.apply import plan_import
from interop.dataset import ForeignBox, ForeignDataset, ForeignImage
from interop.mapping import clean

pytestmark = pytest.mark.django_db
MAPPING = clean({"labels": {"TOP_SWEEP": {"view": "TOP", "defect": "SWEEP"}}})


def _library(count: int, start: int = 0) -> None:
    """``count`` pictures of lot 7 written as rows only, each holding one box already."""
    images = Image.objects.bulk_create(
        Image(
            file=f"images/x{i}.png",
            original_name=f"{i:04d}_TOP.png",
            sha256=f"{i:064d}",
            width=64,
            height=48,
            wire_id=f"{i:04d}",
            wire_group="lot 7",
            view="TOP",
        )
        for i in range(start, start + count)
    )
    Annotation.objects.bulk_create(Annotation(image=image, x=1, y=1, width=5, height=5, view="TOP", defect="SWEEP") for image in images)


def _labels_for(count: int) -> ForeignDataset:
    """Boxes for the first ``count`` library pictures, named as CVAT names them (no picture files: labels only)."""
    images = []
    for i in range(count):
        box = ForeignBox("TOP_SWEEP", 20, 10, 8, 8)
        # Half by their full name, half without an extension (as a YOLO label file names its picture).
        images.append(ForeignImage(f"{i:04d}_TOP.png" if i % 2 else f"{i:04d}_TOP", 64, 48, [box], group="lot 7"))
    return ForeignDataset(format="cvat", images=images)


def test_a_labels_only_dry_run_takes_the_same_queries_however_many_pictures(annotator) -> None:  # type: ignore[no-untyped-def]
    """The dry run (and the apply) looked up each picture of a labels-only import by name and read its boxes, three
    queries a picture: 15,500 pictures' labels from CVAT took 46,500 queries and 24 s each time the mapping was sent."""
    _library(30)
    with CaptureQueriesContext(connection) as few:
        small = plan_import(_labels_for(10), MAPPING)
    with CaptureQueriesContext(connection) as many:
        large = plan_import(_labels_for(30), MAPPING)
    assert (small.box_count, large.box_count) == (10, 30)
    assert not large.skipped
    assert len(many.captured_queries) == len(few.captured_queries)


def test_applying_a_labels_only_import_takes_the_same_queries_however_many_pictures(annotator) -> None:  # type: ignore[no-untyped-def]
    """The apply locked each picture, created each box, its history and the picture's revision one by one: about four
    queries a picture, 28 s for 15,500 pictures inside one request, holding SQLite's write lock from everyone else."""
    from interop.apply import apply_plan

    _library(40)
    small = plan_import(_labels_for(10), MAPPING)
    # The large import's pictures are the next 30 of the library, so the small one's boxes are no duplicates of its own.
    large = plan_import(ForeignDataset(format="cvat", images=_labels_for(40).images[10:]), MAPPING)
    revisions = dict(Image.objects.values_list("pk", "annotation_revision"))
    with CaptureQueriesContext(connection) as few:
        first = apply_plan(small, annotator)
    with CaptureQueriesContext(connection) as many:
        second = apply_plan(large, annotator)
    assert (first.boxes_created, second.boxes_created) == (10, 30)
    assert len(many.captured_queries) == len(few.captured_queries)
    # Every box is stored with its history row, and each picture's revision moved once.
    imported = Annotation.objects.filter(x=20)
    assert imported.count() == 40 and set(imported.values_list("image__wire_id", flat=True)) == {f"{i:04d}" for i in range(40)}
    from annotations.models import AnnotationChange

    rows = AnnotationChange.objects.filter(annotation_id_ref__in=imported.values("pk"), action="create")
    assert rows.count() == 40 and all(row.after["x"] == 20 and row.note == "Imported from cvat" for row in rows)
    assert all(revision == revisions[pk] + 1 for pk, revision in Image.objects.values_list("pk", "annotation_revision"))
