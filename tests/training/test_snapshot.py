"""Snapshots from the database: trainable boxes only, both views together, revisions recorded."""

from __future__ import annotations

import json

import pytest

from annotations.choices import ReviewState, Source
from annotations.models import Annotation
from core.data.dataset import InsufficientData
from training.models import TrainingRun
from training.snapshot import build_snapshot, image_records, snapshot_from_run_json, snapshot_run_json

DEFECT_OF_WIRE = ["PASS", "PASS", "SWEEP", "SWEEP", "WOBBLE", "WOBBLE", "TOUCH", "TOUCH", "TOUCH", "TOUCH"]


@pytest.fixture
def annotated(make_image):  # type: ignore[no-untyped-def]
    """Ten wires with both views, boxes saved once more so revisions differ from 1."""
    for index, defect in enumerate(DEFECT_OF_WIRE):
        for view in ("TOP", "SIDE"):
            image = make_image(f"w{index:02d}_{view}.png", width=64, height=48, wire_group=f"lot{index % 2}")
            box = Annotation.objects.create(image=image, x=5, y=6, width=30, height=20, view=view, defect=defect)
            box.revision = 2
            box.save()


@pytest.mark.django_db
def test_both_views_of_a_wire_land_on_one_side(annotated) -> None:  # type: ignore[no-untyped-def]
    snapshot = build_snapshot(seed=4)
    train = {r.wire_key for r in snapshot.train}
    val = {r.wire_key for r in snapshot.val}
    assert not train & val and len(train | val) == 10
    assert {r.wire_key for r in snapshot.val if r.view == "TOP"} == {r.wire_key for r in snapshot.val if r.view == "SIDE"}


@pytest.mark.django_db
def test_pending_and_rejected_model_boxes_are_left_out(annotated, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image("w99_TOP.png")
    for state in (ReviewState.PENDING, ReviewState.REJECTED):
        Annotation.objects.create(
            image=image, x=1, y=1, width=5, height=5, view="TOP", defect="PASS", source=Source.MODEL, review_state=state
        )
    accepted = make_image("w98_TOP.png")
    Annotation.objects.create(
        image=accepted, x=1, y=1, width=5, height=5, view="TOP", defect="PASS", source=Source.MODEL, review_state=ReviewState.ACCEPTED
    )
    make_image("w97_TOP.png")  # no boxes at all: not yet annotated
    keys = {r.wire_key for r in image_records()}
    assert "w98" in keys and "w99" not in keys and "w97" not in keys


@pytest.mark.django_db
def test_queryset_filter_and_lot_grouping(annotated) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Image

    records = image_records(Image.objects.filter(view="TOP"), group_by_lot=True)
    assert len(records) == 10 and {r.lot for r in records} == {"lot0", "lot1"}


@pytest.mark.django_db
def test_too_few_wires_of_a_class_names_it(make_image) -> None:  # type: ignore[no-untyped-def]
    for index, defect in enumerate(["PASS", "SWEEP", "SWEEP", "WOBBLE", "WOBBLE", "TOUCH", "TOUCH"]):
        image = make_image(f"w{index}_TOP.png")
        Annotation.objects.create(image=image, x=1, y=1, width=5, height=5, view="TOP", defect=defect)
    with pytest.raises(InsufficientData, match="PASS has 1 wire; at least 2 are needed"):
        build_snapshot()


@pytest.mark.django_db
def test_run_json_records_annotation_revisions_per_split_and_round_trips(annotated) -> None:  # type: ignore[no-untyped-def]
    snapshot = build_snapshot(seed=1)
    data = json.loads(json.dumps(snapshot_run_json(snapshot)))
    run = TrainingRun.objects.create(model_type="defect", dataset_snapshot=data)
    run.refresh_from_db()
    stored = run.dataset_snapshot
    ids = {a.pk for a in Annotation.objects.all()}
    assert {i for i, _ in stored["train"]} | {i for i, _ in stored["val"]} == ids
    assert not {i for i, _ in stored["train"]} & {i for i, _ in stored["val"]}
    assert {rev for _, rev in stored["train"] + stored["val"]} == {2}
    assert stored["fingerprint"] == snapshot.fingerprint()
    assert snapshot_from_run_json(stored) == snapshot
