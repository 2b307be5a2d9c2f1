"""Leftovers P-H: the export download answers HEAD as the other downloads do; an imported box never lands beside a
settled box of another label on the same loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.actions import BoxInput, save_boxes
from annotations.models import Annotation
from interop.apply import apply_plan, plan_import
from interop.dataset import ForeignBox
from interop.exports import run_export, start_export, zip_of
from tests.conftest import zipped
from tests.interop.test_probe_leftovers_a import MAPPING, dataset


def test_the_export_download_answers_head_with_its_headers_and_no_body(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A download manager (or curl -I) asks HEAD first for the size and the name: it got 405, where a picture or an
    inspection report answers with the headers."""
    settings.DATA_DIR = tmp_path / "data"
    image = make_image("5_SIDE.png", 40, 30)
    Annotation.objects.create(image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP")
    status = start_export({}, "csv", include_pictures=True, for_training=True)
    run_export(status.id)  # what its thread does
    client.force_login(annotator)
    head = client.head(f"/export/{status.id}/download")
    assert head.status_code == 200, head.status_code
    assert head["Content-Length"] == str(Path(zip_of(status.id)).stat().st_size)
    assert head["Content-Disposition"].startswith('attachment; filename="wiresag-csv-')
    assert b"".join(head.streaming_content) == b""
    assert client.post(f"/export/{status.id}/download").status_code == 405  # still no other method


def box_on(image, defect: str, x: float = 20, **fields: str) -> Annotation:  # type: ignore[no-untyped-def]
    return Annotation.objects.create(image=image, x=x, y=20, width=9, height=9, view="TOP", defect=defect, **fields)


KEPT = [{"source": "model", "review_state": "accepted"}, {"source": "model", "review_state": "corrected"}, {}]


@pytest.mark.parametrize("kept", KEPT, ids=["accepted", "corrected", "drawn"])
def test_an_imported_box_with_another_label_on_a_settled_loop_is_reported_and_skipped(make_image, annotator, kept) -> None:  # type: ignore[no-untyped-def]
    """A reviewer accepted the model's TOUCH on a loop; the lot's file says SWEEP there: the import stored its SWEEP beside
    the TOUCH without a word, and training learned the loop twice, with two labels."""
    image = make_image("004_TOP.png", 80, 60)
    there = box_on(image, "TOUCH", **kept)
    plan = plan_import(dataset(ForeignBox("sweep", 21, 19, 10, 10), ForeignBox("sweep", 55, 20, 9, 9)), MAPPING)
    assert plan.box_count == 1  # the box on another loop still comes in
    assert [(item.image, item.label, item.reason) for item in plan.skipped] == [
        (
            "004_TOP.png",
            "sweep",
            "conflicts with the box already on this loop (it says TOP TOUCH and is kept; "
            "if TOP SWEEP is right, correct it on the annotation page)",
        )
    ]
    assert plan.skip_reasons() == {"conflicts with the box already on this loop": 1}
    result = apply_plan(plan, annotator)
    assert (result.boxes_created, result.skipped) == (1, 1)
    assert sorted((a.x, a.defect) for a in Annotation.objects.filter(image=image)) == [(20, "TOUCH"), (55, "SWEEP")]
    there.refresh_from_db()
    assert (there.defect, there.revision) == ("TOUCH", 1)


def test_an_imported_box_beside_a_rejected_box_of_another_label_still_comes_in(make_image, annotator) -> None:  # type: ignore[no-untyped-def]
    """A rejected model box trains nothing: the person's box is what the loop is."""
    image = make_image("004_TOP.png", 80, 60)
    box_on(image, "TOUCH", source="model", review_state="rejected")
    plan = plan_import(dataset(ForeignBox("sweep", 21, 19, 10, 10)), MAPPING)
    assert (plan.box_count, plan.skipped) == (1, [])


def test_a_box_of_another_label_accepted_between_the_plan_and_the_apply_is_not_doubled(make_image, annotator, engineer) -> None:  # type: ignore[no-untyped-def]
    image = make_image("004_TOP.png", 80, 60)
    plan = plan_import(dataset(ForeignBox("sweep", 21, 19, 10, 10)), MAPPING)
    assert plan.box_count == 1
    save_boxes(image, [BoxInput(20, 20, 9, 9, "TOP", "TOUCH")], base_revision=image.annotation_revision, user=engineer)
    result = apply_plan(plan, annotator)
    assert [(a.x, a.defect) for a in Annotation.objects.filter(image=image)] == [(20, "TOUCH")]
    assert (result.boxes_created, result.skipped) == (0, 1)
    assert result.changed_sentence() == (
        "1 picture changed while the import was applied (someone saved or reviewed its boxes): 004_TOP.png. "
        "Its boxes were checked again against the boxes there now; 1 that conflicts with the box on its loop was skipped."
    )


def test_the_import_page_says_the_conflict_and_the_result_counts_it(client, annotator, make_image, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    image = make_image("004_TOP.png", 80, 60)
    box_on(image, "TOUCH", source="model", review_state="accepted")
    client.force_login(annotator)
    csv = b"image_name,x,y,width,height,label\n004_TOP.png,21,19,10,10,SWEEP\n004_TOP.png,55,20,9,9,SWEEP\n"
    started = client.post("/import/", {"file": zipped({"boxes.csv": csv}, "boxes.zip"), "format": "auto"})
    page = client.get(started["Location"])
    form = {f"labels-{row['index']}-defect": row["defect"] for row in page.context["rows"]["labels"]}
    form.update({f"labels-{row['index']}-view": "TOP" for row in page.context["rows"]["labels"]})
    form.update(outside="clip", save_as="")
    report = client.post(started["Location"], form).content.decode()
    assert "<li>1: conflicts with the box already on this loop</li>" in report
    applied = client.post(started["Location"] + "apply/", follow=True).content.decode()
    assert "Imported 1 boxes and 0 new pictures; 1 boxes were skipped." in applied
