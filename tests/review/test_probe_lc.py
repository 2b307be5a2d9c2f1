"""Known leftovers C: the comparison page's size, big pre-annotation jobs, abandoned form claims."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core import filejobs
from core.inspection.verdicts import PictureResult
from review.inspection import root
from tests.review.test_probe_inspection import _box, _finished_inspection


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


# --- 1. comparing two inspections drew every wire of both reports -------------------------------------------------


def test_comparing_two_large_inspections_shows_a_page_of_wires_the_differing_ones_first(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """Two inspections of a 20,000-picture library made a multi-MB comparison page; it now draws the first 500 wires,
    those whose verdict differs first, and says how many it leaves out."""
    shown, count = 500, 600
    a = _finished_inspection([PictureResult(f"w{i}_TOP.png", f"w{i}", "TOP", (_box("PASS"),)) for i in range(count)])
    # B differs on the last three wires only, so they would be cut off in the inspection's own order.
    b = _finished_inspection(
        [PictureResult(f"w{i}_TOP.png", f"w{i}", "TOP", (_box("TOUCH" if i >= count - 3 else "PASS"),)) for i in range(count)]
    )
    client.force_login(annotator)
    response = client.get(reverse("review:compare"), {"a": a, "b": b})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == shown
    assert [row["wire_id"] for row in rows[:3]] == [f"w{i}" for i in range(count - 3, count)]
    assert all(row["differs"] for row in rows[:3]) and not any(row["differs"] for row in rows[3:])
    page = response.content.decode()
    assert "3 of 600 wires get a different verdict" in page
    assert f"The first {shown} of {count} wires are shown, those with a different verdict first; 100 are not shown" in page


# --- 2. a pre-annotation job asked for every picture id in one query ---------------------------------------------


def test_a_pre_annotation_of_more_pictures_than_one_query_takes_covers_each_picture_once(make_image, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The job read its pictures with one ``pk__in`` of every id: on a SQLite build allowing fewer variables than the
    library has pictures (the stock limit is 32,766) it failed with "too many SQL variables". Here SQLite allows 60."""
    import sqlite3

    from django.db import connection

    from annotations.models import Annotation
    from review import inspection
    from review.prediction import PreannotationSummary

    if connection.vendor != "sqlite":
        pytest.skip("the variable limit is SQLite's")
    images = [make_image() for _ in range(7)]
    Annotation.objects.create(image=images[3], x=1, y=1, width=5, height=5, view="TOP", defect="PASS")
    gone = list(range(10_000, 10_150))  # deleted since the job was queued
    ids = [image.pk for image in images] + gone + [images[0].pk, images[5].pk]  # the same id twice counts once
    seen: list[list[int]] = []

    def fake_preannotate(todo, versions, conf_threshold, progress=None):  # type: ignore[no-untyped-def]
        seen.append([image.pk for image in todo])
        return PreannotationSummary(pictures=len(todo))

    monkeypatch.setattr(inspection, "preannotate", fake_preannotate)
    monkeypatch.setattr(inspection, "PICTURE_IDS_PER_QUERY", 50, raising=False)
    spec = {"versions": {}, "conf_threshold": 0.25, "image_ids": ids}
    status = filejobs.new_job(root(inspection.PREANNOTATION), inspection.PREANNOTATION, spec)
    connection.ensure_connection()
    limit = connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 60)
    try:
        inspection.run_preannotation(status.id)
    finally:
        connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    done = inspection.read_status(inspection.PREANNOTATION, status.id)
    assert done.state == "done", done.message
    assert seen == [[image.pk for image in images if image.pk != images[3].pk]]
    assert done.total == 6
    assert "Pre-annotated 6 pictures" in done.message and "150 were deleted meanwhile" in done.message


# --- 3. a form claimed by a request killed before it queued its job stayed "being queued" for a day ---------------


def _active_models() -> None:
    """Active versions of the three types: enough for the forms to queue a job (no worker runs it here)."""
    from registry.models import ModelVersion

    for model_type in ("detection", "view", "defect"):
        ModelVersion.objects.create(
            name=f"{model_type}_a", model_type=model_type, file_path=f"{model_type}/a.pt", sha256="0" * 64, is_active=True
        )


def test_a_form_whose_request_was_killed_before_queueing_its_job_can_be_sent_again(  # type: ignore[no-untyped-def]
    client, engineer, make_image, django_capture_on_commit_callbacks
) -> None:
    """The server was restarted between claiming the Pre-annotate form's token and queueing its job: sending the same
    page again said "its pre-annotation is being queued" for 24 hours, and no job ever came. A claim nobody holds any
    more (its request is gone) is abandoned; while its request still runs, the second send is still told to wait."""
    import fcntl
    import os

    from review.inspection import PREANNOTATION, SENT_FORMS, list_jobs, new_form_token

    _active_models()
    make_image("001_TOP.png")
    client.force_login(engineer)
    token = new_form_token()
    claim = root(PREANNOTATION) / SENT_FORMS / token
    claim.parent.mkdir(parents=True)
    claim.touch()  # what the killed request left: the token claimed, no job id written
    descriptor = os.open(claim, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # a request queueing this form's job right now
        waiting = client.post("/review/preannotate", {"conf": "0.25", "form_token": token}, follow=True)
        assert "its pre-annotation is being queued" in waiting.content.decode()
    finally:
        os.close(descriptor)  # that request is gone (killed, or restarted with the server)
    assert list_jobs(PREANNOTATION) == []
    with django_capture_on_commit_callbacks(execute=False):
        again = client.post("/review/preannotate", {"conf": "0.25", "form_token": token})
    jobs = list_jobs(PREANNOTATION)
    assert len(jobs) == 1
    assert again.status_code == 302 and again["Location"] == reverse("review:job", args=[PREANNOTATION, jobs[0].id])
    assert claim.read_text(encoding="utf-8") == jobs[0].id  # and the form is now claimed by that job
    assert client.post("/review/preannotate", {"conf": "0.25", "form_token": token})["Location"] == again["Location"]
