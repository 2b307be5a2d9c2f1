"""Pre-annotation, the review queue and decisions, batch inspection jobs and the infer command."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from annotations.choices import ReviewState, Source
from annotations.ingest import ingest_image
from annotations.models import Annotation, AnnotationChange, Image
from registry.models import ModelVersion
from registry.versions import activate, register_version
from review.inspection import (
    INSPECTION,
    job_dir,
    list_jobs,
    read_status,
    report_of,
    run_inspection,
    run_preannotation,
    start_inspection,
    start_preannotation,
)
from review.prediction import (
    PredictionUnavailable,
    ReviewRefused,
    choose_versions,
    preannotate,
    review,
    review_queue,
)
from tests.tiny_models import TinyModels, tiny_models


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


@pytest.fixture
def active_set(db, models: TinyModels):  # type: ignore[no-untyped-def]
    versions = {}
    for model_type in ("detection", "view", "defect"):
        version = register_version(model_type, getattr(models, model_type), metrics={"pass_recall": 1.0, "accuracy": 0.5, "mAP50": 0.1})
        activate(version, None, reason="test")
        versions[model_type] = version
    return versions


@pytest.fixture
def library(db, models: TinyModels) -> list[Image]:  # type: ignore[no-untyped-def]
    return [ingest_image(sample.path.read_bytes(), sample.filename, wire_group="lot1").image for sample in models.samples[:4]]


def model_box(image: Image, defect: str, confidence: float, **extra: float) -> Annotation:
    confidences = {"detection": 0.9, "view": 0.95, "defect": confidence, **extra}
    return Annotation.objects.create(
        image=image,
        x=1,
        y=1,
        width=10,
        height=10,
        view=image.view or "TOP",
        defect=defect,
        source=Source.MODEL,
        review_state=ReviewState.PENDING,
        confidences=confidences,
    )


def test_queue_orders_disagreeing_views_then_low_confidence_then_pass(make_image) -> None:  # type: ignore[no-untyped-def]
    calm_top, calm_side = make_image("calm_TOP.png"), make_image("calm_SIDE.png")
    split_top, split_side = make_image("split_TOP.png"), make_image("split_SIDE.png")
    lone = make_image("lone_TOP.png")
    routine = model_box(calm_top, "TOUCH", 0.9)
    model_box(calm_side, "TOUCH", 0.95)
    disagree = model_box(split_top, "SWEEP", 0.9)
    other_view = model_box(split_side, "WOBBLE", 0.99)
    rare = model_box(lone, "PASS", 0.8)
    weak_detection = model_box(lone, "TOUCH", 0.99, detection=0.3)
    weak_defect = model_box(calm_top, "TOUCH", 0.5)
    order = [item.annotation.pk for item in review_queue()]
    # Both boxes of the disagreeing wire first (real pictures: those are wrong most often), the less sure first.
    assert order[:4] == [disagree.pk, other_view.pk, weak_detection.pk, weak_defect.pk]
    assert order.index(rare.pk) < order.index(routine.pk)
    reasons = [item.reason for item in review_queue()]
    assert reasons[:4] == ["views disagree", "views disagree", "low confidence", "low confidence"]


@pytest.mark.slow
def test_decisions_are_recorded_once_and_counted_per_version(make_image, engineer, active_set) -> None:  # type: ignore[no-untyped-def]
    image = make_image("w9_TOP.png")
    boxes = [model_box(image, "TOUCH", 0.9) for _ in range(3)]
    Annotation.objects.filter(pk__in=[b.pk for b in boxes]).update(defect_version=active_set["defect"])
    review(boxes[0].pk, "accept", engineer)
    review(boxes[1].pk, "reject", engineer, note="no wire there")
    with pytest.raises(ReviewRefused, match="already reviewed"):
        review(boxes[0].pk, "reject", engineer)
    change = AnnotationChange.objects.filter(action="review", annotation_id_ref=boxes[1].pk).get()
    assert change.user == engineer and change.before["review_state"] == "pending" and change.after["review_state"] == "rejected"
    assert change.note == "reject: no wire there"
    rate = {row.version.pk: row for row in ModelVersion.objects.correction_rates()}[active_set["defect"].pk]
    assert (rate.accepted, rate.rejected, rate.pending, rate.rate) == (1, 1, 1, 0.5)


def test_missing_model_slot_is_a_sentence(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PredictionUnavailable, match="No detection model is active or chosen"):
        choose_versions()


@pytest.mark.slow
def test_preannotation_stores_pending_model_boxes_with_versions_and_thresholds(library, active_set) -> None:  # type: ignore[no-untyped-def]
    labelled = library[0]
    Annotation.objects.create(image=labelled, x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
    status = start_preannotation(image_ids=[i.pk for i in Image.objects.unannotated()], conf_threshold=0.001)
    run_preannotation(status.id)
    status = read_status("preannotation", status.id)
    assert status.state == "done" and status.done == status.total == 3, status.message
    boxes = Annotation.objects.filter(source=Source.MODEL)
    assert boxes.count() >= 3 and set(boxes.values_list("image_id", flat=True)) == {i.pk for i in library[1:]}
    for box in boxes:
        assert box.review_state == ReviewState.PENDING
        assert (box.detection_version, box.view_version, box.defect_version) == (
            active_set["detection"],
            active_set["view"],
            active_set["defect"],
        )
        assert box.confidences["thresholds"] == {"detection": 0.001} and 0 <= box.confidences["defect"] <= 1
    assert AnnotationChange.objects.filter(action="create", note__startswith="Pre-annotated by defect_").count() == boxes.count()
    assert labelled.annotations.get().source == Source.HUMAN
    assert len(review_queue()) == boxes.count()
    again = preannotate(library, choose_versions())
    assert (again.pictures, again.skipped, again.boxes) == (0, 4, 0)


@pytest.mark.slow
def test_inspection_of_library_pictures_and_of_a_zip_writes_three_reports(library, active_set, models: TinyModels) -> None:  # type: ignore[no-untyped-def]
    status = start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001, label="lot1")
    run_inspection(status.id)
    status = read_status(INSPECTION, status.id)
    assert status.state == "done" and status.done == 4, status.message
    assert status.versions["defect"] == active_set["defect"].name
    report = report_of(status.id)
    assert {w.wire_id for w in report.wires} == {f"lot1/{s.wire_id}" for s in models.samples[:4]}

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for sample in models.samples[:2]:
            archive.writestr(f"lotA/{sample.filename}", sample.path.read_bytes())
        archive.writestr("lotA/broken_TOP.png", b"not a picture")
        archive.writestr("notes.txt", b"ignored")
    buffer.seek(0)
    status = start_inspection(archive=buffer, archive_name="batch.zip", conf_threshold=0.001)
    run_inspection(status.id)
    status = read_status(INSPECTION, status.id)
    assert status.state == "done" and status.total == 3, status.message
    folder = job_dir(INSPECTION, status.id)
    with (folder / "report.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    broken = [r for r in rows if r["image_name"] == "lotA/broken_TOP.png"]
    assert broken and broken[0]["success"] == "False" and broken[0]["error"]
    assert {r["wire_id"] for r in rows} == {"lotA/broken", *(f"lotA/{s.wire_id}" for s in models.samples[:2])}
    assert json.loads((folder / "report.json").read_text())["counts"]["pictures_failed"] == 1
    assert load_workbook(folder / "report.xlsx").sheetnames == ["Boxes", "Wires", "Summary"]


@pytest.mark.slow
def test_infer_command_writes_the_csv_for_a_folder(active_set, models: TinyModels, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    output = tmp_path / "results.csv"
    out = io.StringIO()
    call_command("infer", str(models.pictures), "--output", str(output), "--conf", "0.001", "--format", "all", stdout=out)
    with output.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["image_name"] for r in rows} == {s.filename for s in models.samples}
    assert output.with_suffix(".json").is_file() and output.with_suffix(".xlsx").is_file()
    assert "wires" in out.getvalue()


def test_infer_command_refuses_a_missing_folder(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="does not exist"):
        call_command("infer", str(tmp_path / "nothing"), "--output", str(tmp_path / "r.csv"))


def _killed_half_way(job_id: str) -> None:
    """What a worker killed half way leaves: a running status that stopped moving long ago."""
    import os
    import time

    from core import filejobs
    from review.inspection import INTERRUPTED_AFTER_SECONDS, root

    status = read_status(INSPECTION, job_id)
    status.state, status.done, status.message = "running", 1, "Inspecting."
    filejobs.write_status(root(INSPECTION), status)
    long_ago = time.time() - INTERRUPTED_AFTER_SECONDS - 5
    os.utime(job_dir(INSPECTION, job_id) / "status.json", (long_ago, long_ago))


def test_an_inspection_whose_worker_was_killed_runs_again_in_one_click(  # type: ignore[no-untyped-def]
    client, engineer, annotator, library, active_set, models: TinyModels
) -> None:
    from django.urls import reverse

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for sample in models.samples[:2]:
            archive.writestr(f"lotA/{sample.filename}", sample.path.read_bytes())
    buffer.seek(0)
    for started in (
        start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001, rule="worst", label="night"),
        start_inspection(archive=buffer, archive_name="batch.zip", conf_threshold=0.001),
    ):
        _killed_half_way(started.id)
        client.force_login(engineer)
        page = client.get(reverse("review:job", args=[INSPECTION, started.id])).content.decode()
        assert "the worker running it was stopped" in page and 'id="run-again"' in page
        client.force_login(annotator)
        assert client.post(reverse("review:job_again", args=[INSPECTION, started.id])).status_code == 403
        client.force_login(engineer)
        response = client.post(reverse("review:job_again", args=[INSPECTION, started.id]))
        again_id = response.url.rstrip("/").split("/")[-1]
        assert again_id != started.id and response.url == reverse("review:job", args=[INSPECTION, again_id])
        old_spec = json.loads((job_dir(INSPECTION, started.id) / "job.json").read_text())
        new_spec = json.loads((job_dir(INSPECTION, again_id) / "job.json").read_text())
        assert new_spec == {**old_spec, "again_of": started.id}
        run_inspection(again_id)
        status = read_status(INSPECTION, again_id)
        assert status.state == "done" and status.done == status.total == (4 if "image_ids" in old_spec else 2), status.message
        assert read_status(INSPECTION, started.id).state == "failed"  # the old job stays as it was


def test_only_a_failed_job_runs_again_and_a_deleted_model_is_said_first(client, engineer, library, active_set) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    client.force_login(engineer)
    done = start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001)
    run_inspection(done.id)
    response = client.post(reverse("review:job_again", args=[INSPECTION, done.id]), follow=True)
    assert "Only a job that failed or stopped can be run again; this one is done." in response.content.decode()
    failed = start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001)
    _killed_half_way(failed.id)
    ModelVersion.objects.filter(pk=active_set["defect"].pk).delete()
    jobs_before = len(list(job_dir(INSPECTION, failed.id).parent.iterdir()))
    response = client.post(reverse("review:job_again", args=[INSPECTION, failed.id]), follow=True)
    assert "The defect version chosen for this job was deleted; choose the models again on the Inspect page." in response.content.decode()
    assert len(list(job_dir(INSPECTION, failed.id).parent.iterdir())) == jobs_before  # no job was made
    assert client.post(reverse("review:job_again", args=[INSPECTION, ".."])).status_code == 404


def test_a_save_from_a_page_loaded_before_a_review_decision_is_told_not_applied(client, annotator, engineer, make_image) -> None:  # type: ignore[no-untyped-def]
    image = make_image()
    box = Annotation.objects.create(
        image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP", source=Source.MODEL, review_state=ReviewState.PENDING
    )
    client.force_login(annotator)
    page = client.get(f"/api/images/{image.pk}/annotations").json()  # the annotation page, opened before the decision
    review(box.pk, "reject", engineer)
    moved = [{**b, "x": b["x"] + 3} for b in page["boxes"]]
    body = json.dumps({"base_revision": page["image"]["revision"], "boxes": moved})
    response = client.put(f"/api/images/{image.pk}/annotations", body, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"].startswith(f"{engineer.username} reviewed a model box of this picture at ")
    box.refresh_from_db()
    assert box.review_state == ReviewState.REJECTED and box.x == 1  # the decision stands; the stale save changed nothing


def test_pictures_deleted_while_a_preannotation_runs_are_counted_and_the_rest_is_done(library, active_set, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.inspection.inference import InferencePipeline

    real_inspect = InferencePipeline.inspect
    deleted_while_inspected = library[1].pk

    def inspect_then_someone_deletes(self, picture):  # type: ignore[no-untyped-def]
        result = real_inspect(self, picture)  # the real models look at the picture ...
        if picture.ref == deleted_while_inspected:
            Image.objects.filter(pk=picture.ref).delete()  # ... and an admin deletes it before its boxes are stored
        return result

    monkeypatch.setattr(InferencePipeline, "inspect", inspect_then_someone_deletes)
    status = start_preannotation(image_ids=[i.pk for i in library], conf_threshold=0.001)
    Image.objects.filter(pk=library[0].pk).delete()  # deleted while the job waits in the queue
    run_preannotation(status.id)
    status = read_status("preannotation", status.id)
    assert status.state == "done", status.message
    assert "Pre-annotated 2 pictures" in status.message and "2 were deleted meanwhile." in status.message
    assert set(Annotation.objects.values_list("image_id", flat=True)) == {library[2].pk, library[3].pk}


def test_an_inspection_says_how_many_chosen_pictures_were_deleted_before_it_ran(library, active_set) -> None:  # type: ignore[no-untyped-def]
    status = start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001)
    Image.objects.filter(pk=library[1].pk).delete()
    run_inspection(status.id)
    status = read_status("inspection", status.id)
    assert status.state == "done" and status.message.startswith("Inspected 3 pictures")
    assert status.message.endswith("1 of the chosen pictures were deleted before the job ran.")


def test_a_full_disk_while_an_inspection_zip_is_stored_leaves_no_job_waiting(client, engineer, active_set, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno
    import pathlib

    from tests.conftest import png_bytes

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("w1_TOP.png", png_bytes(seed=1))
    buffer.seek(0)
    buffer.name = "lot.zip"
    real_open = pathlib.Path.open

    def full_for_the_zip(self, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.name == "upload.zip" and "w" in mode:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, mode, *args, **kwargs)

    before = {job.id for job in list_jobs(INSPECTION, limit=1000)}
    monkeypatch.setattr(pathlib.Path, "open", full_for_the_zip)
    client.force_login(engineer)
    response = client.post("/inspect/", {"archive": buffer, "rule": "worst", "conf": "0.25"})
    monkeypatch.setattr(pathlib.Path, "open", real_open)
    assert response.status_code == 400  # said on the inspect page, with the choices kept
    assert "The server could not store the zip (No space left on device); free disk space" in response.content.decode()
    assert {job.id for job in list_jobs(INSPECTION, limit=1000)} == before  # no job left waiting for a zip it never got


@pytest.mark.parametrize("note", ["Pre-annotated by defect_v9", "Imported from the night shift's folder"])
def test_a_review_note_cannot_word_who_changed_the_picture(client, annotator, engineer, make_image, note) -> None:  # type: ignore[no-untyped-def]
    """A reviewer's note is free text: one holding "Pre-annotated by " or "Imported from " made a colleague's refused
    save say a pre-annotation or an import had changed the picture, sending them looking for the wrong cause."""
    image = make_image()
    box = Annotation.objects.create(
        image=image, x=1, y=2, width=10, height=5, view="SIDE", defect="SWEEP", source=Source.MODEL, review_state=ReviewState.PENDING
    )
    client.force_login(annotator)
    page = client.get(f"/api/images/{image.pk}/annotations").json()
    review(box.pk, "reject", engineer, note=note)
    body = json.dumps({"base_revision": page["image"]["revision"], "boxes": page["boxes"]})
    response = client.put(f"/api/images/{image.pk}/annotations", body, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"].startswith(f"{engineer.username} reviewed a model box of this picture at ")


def test_a_job_whose_task_failed_before_it_began_says_why_and_runs_again(  # type: ignore[no-untyped-def]
    client, engineer, library, active_set, django_capture_on_commit_callbacks
) -> None:
    """Jobs queued before an upgrade that moved their task's function (``annotations.inspection.run_inspection``
    became ``review.inspection.run_inspection`` on 2026-12-02) failed inside django-q2 before the job's code ran:
    the page said "Waiting for a worker." for ever, and a queued job could not be started again."""
    from django.urls import reverse
    from django.utils import timezone
    from django_q.models import Task

    with django_capture_on_commit_callbacks(execute=True):  # queued once the job's rows are committed
        started = start_inspection(image_ids=[i.pk for i in library], conf_threshold=0.001)
    task_id = read_status(INSPECTION, started.id).task_id
    assert task_id  # the queue's id for the job's task, recorded when it was queued
    assert read_status(INSPECTION, started.id).state == "queued"
    # What django-q2 keeps of a task whose function cannot be imported: a failure under the task's id.
    now = timezone.now()
    Task.objects.create(
        id=task_id,
        name=f"inspection-{started.id}",
        func="annotations.inspection.run_inspection",
        args=(started.id,),
        started=now,
        stopped=now,
        success=False,
        result="No module named 'annotations.inspection' : Traceback (most recent call last):\n  File ...",
    )

    client.force_login(engineer)
    page = client.get(reverse("review:job", args=[INSPECTION, started.id])).content.decode()
    assert "This inspection never began: the worker could not run its task (No module named" in page
    assert "Waiting for a worker." not in page and 'id="run-again"' in page
    assert [job.state for job in list_jobs(INSPECTION) if job.id == started.id] == ["failed"]
    again = client.post(reverse("review:job_again", args=[INSPECTION, started.id]))
    again_id = again.url.rstrip("/").split("/")[-1]
    assert again_id != started.id and read_status(INSPECTION, again_id).state == "queued"
