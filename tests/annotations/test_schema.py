"""The shared schema refuses what would corrupt the data set."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from annotations.actions import BoxInput, InvalidBoxes, StaleRevision, parse_boxes, save_boxes
from annotations.ingest import DuplicateImage, ingest_image
from annotations.models import Annotation, AnnotationChange
from tests.conftest import png_bytes


def box(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {"x": 10, "y": 5, "width": 20, "height": 10, "view": "TOP", "defect": "PASS"}
    values.update(overrides)
    return values


def test_image_stored_under_generated_name_with_parsed_wire(make_image):
    image = make_image("Lot 7 <b>/0042_side.PNG")
    assert image.wire_id == "0042"
    assert image.view == "SIDE"
    assert image.sha256 in image.file.name
    assert "0042" not in image.file.name
    assert (image.width, image.height, image.bit_depth) == (64, 48, 8)


def test_same_bytes_twice_is_a_duplicate(db):
    data = png_bytes(seed=1)
    ingest_image(data, "a_TOP.png")
    with pytest.raises(DuplicateImage, match="already in the library"):
        ingest_image(data, "b_TOP.png")


def test_sixteen_bit_picture_keeps_its_depth(db):
    image = ingest_image(png_bytes(mode="I;16"), "w1_TOP.png").image
    assert image.bit_depth == 16


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"width": 0}, "width"),
        ({"height": -3}, "height"),
        ({"x": -1}, "x"),
        ({"x": 50, "width": 20}, "width"),
        ({"y": 40, "height": 10}, "height"),
        ({"view": "FRONT"}, "view"),
        ({"defect": "SCRATCH"}, "defect"),
        ({"x": "ten"}, "x"),
    ],
)
def test_invalid_box_is_refused_with_field_error(make_image, overrides, field):
    image = make_image()
    with pytest.raises(InvalidBoxes) as caught:
        parse_boxes([box(**overrides)], image)
    assert field in caught.value.errors[0]


def test_chinese_defect_names_are_accepted(make_image):
    image = make_image()
    parsed = parse_boxes([box(defect="沖線")], image)
    assert parsed[0].defect == "SWEEP"


@pytest.mark.parametrize(
    "values",
    # Labels as long as the columns allow, so the check constraint refuses them on PostgreSQL too (not the column's length).
    [{"width": 0}, {"height": -1}, {"x": -5}, {"view": "FRNT"}, {"defect": "SCRTCH"}],
)
def test_database_refuses_invalid_box(make_image, values):
    image = make_image()
    fields = {"x": 1, "y": 1, "width": 5, "height": 5, "view": "TOP", "defect": "PASS", **values}
    with pytest.raises(IntegrityError), transaction.atomic():
        Annotation.objects.create(image=image, **fields)


def test_save_boxes_records_history_and_bumps_revisions(make_image, annotator):
    image = make_image()
    image = save_boxes(image, parse_boxes([box()], image), base_revision=0, user=annotator)
    assert image.annotation_revision == 1
    saved = Annotation.objects.get(image=image)
    moved = BoxInput(id=saved.pk, x=12, y=5, width=20, height=10, view="TOP", defect="TOUCH")
    image = save_boxes(image, [moved], base_revision=1, user=annotator)
    saved.refresh_from_db()
    assert (saved.revision, saved.defect, image.annotation_revision) == (2, "TOUCH", 2)
    image = save_boxes(image, [], base_revision=2, user=annotator)
    actions = list(AnnotationChange.objects.filter(image=image).order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]
    update = AnnotationChange.objects.get(image=image, action="update")
    assert update.before["defect"] == "PASS" and update.after["defect"] == "TOUCH"
    assert update.user == annotator


def test_stale_revision_is_refused_and_loses_nothing(make_image, annotator):
    image = make_image()
    save_boxes(image, parse_boxes([box()], image), base_revision=0, user=annotator)
    with pytest.raises(StaleRevision) as caught:
        save_boxes(image, parse_boxes([box(defect="TOUCH")], image), base_revision=0, user=annotator)
    assert caught.value.image.annotation_revision == 1
    assert list(Annotation.objects.filter(image=image).values_list("defect", flat=True)) == ["PASS"]
