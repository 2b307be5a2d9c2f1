"""A crashed worker and a full disk, for the inspection and pre-annotation jobs.

A worker killed with its whole process tree (SIGKILL, the OOM killer, a host that went down) never acknowledges
its task: django-q2's database queue hands the same task to a worker again once its ``retry`` time has passed
(``WIRESAG_JOB_TIMEOUT`` + 1 h). By then the job's page has long said that it stopped half way and to start it
again, and the user has.
"""

from __future__ import annotations

import os
import time

import pytest

from core import filejobs
from review.inspection import INSPECTION, PREANNOTATION, read_status, root, run_inspection, run_preannotation


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


def _left_running_by_a_killed_worker(kind: str) -> filejobs.JobStatus:
    """A job a worker started, then was killed in: "running", its status not written for an hour and more."""
    status = filejobs.new_job(root(kind), kind, {"versions": {}, "image_ids": [1, 2, 3], "conf_threshold": 0.25}, total=3)
    status.state, status.message, status.done = "running", "Inspecting.", 1
    filejobs.write_status(root(kind), status)
    long_ago = time.time() - 2 * 3600
    os.utime(root(kind) / status.id / "status.json", (long_ago, long_ago))
    return status


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "task"), [(INSPECTION, run_inspection), (PREANNOTATION, run_preannotation)])
def test_a_job_cut_off_by_a_killed_worker_does_not_run_again_when_the_queue_hands_it_out_again(kind, task) -> None:  # type: ignore[no-untyped-def]
    job = _left_running_by_a_killed_worker(kind)
    cut_off = read_status(kind, job.id)
    assert cut_off.state == "failed" and "Start it again" in cut_off.message  # what its page has said since

    task(job.id)  # the same task, delivered again by django-q2 after its retry time

    after = read_status(kind, job.id)
    assert (after.state, after.message, after.done) == ("failed", cut_off.message, 1), after


class _NothingToSee:
    """A pipeline that inspects no picture: the test is about writing the reports, not about the models."""

    def run(self, inputs, progress=None, versions=None):  # type: ignore[no-untyped-def]
        from core.inspection.reports import InspectionReport

        return InspectionReport([], versions=versions or {})


@pytest.mark.django_db
def test_an_inspection_whose_reports_fill_the_disk_says_so_and_leaves_no_half_report(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno
    from pathlib import Path

    import review.inspection as inspection

    monkeypatch.setattr(inspection, "build_pipeline", lambda *args: _NothingToSee())
    real_write_bytes = Path.write_bytes

    def full_disk(path: Path, data: bytes) -> int:
        if path.name == "report.xlsx":  # report.json and report.csv fit, the spreadsheet does not
            path.write_text("")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [], "conf_threshold": 0.25})

    with pytest.raises(OSError):  # raised again for the worker's log
        run_inspection(job.id)

    status = read_status(INSPECTION, job.id)
    assert status.state == "failed"
    assert status.message.startswith("The server's disk is full"), status.message
    assert "Free disk space" in status.message and "start it again" in status.message
    assert not list((root(INSPECTION) / job.id).glob("report.*"))  # no half report taking what little room is left


@pytest.mark.django_db
def test_an_inspection_taken_by_the_worker_when_the_disk_is_full_says_so_instead_of_waiting_for_ever(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The disk filled up (a training's checkpoints) after the job was queued: the worker could not write "running"
    beside the old status file, raised, and django-q2 counted the task as done with. The page said "Waiting for a
    worker." for ever (only a running job is cut off), and a job that is not failed cannot be run again."""
    import errno
    from pathlib import Path

    import review.inspection as inspection
    from core import jsonfile

    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [], "conf_threshold": 0.25})
    real_write_text = Path.write_text

    def no_room(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    def no_room_for_reports(path: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        return no_room() if path.name.startswith("report.") else real_write_text(path, *args, **kwargs)

    monkeypatch.setattr(inspection, "build_pipeline", lambda *args: _NothingToSee())
    monkeypatch.setattr(Path, "write_text", no_room_for_reports)
    monkeypatch.setattr(jsonfile.tempfile, "NamedTemporaryFile", no_room)  # no room for a new status file beside the old
    with pytest.raises(OSError):
        run_inspection(job.id)
    monkeypatch.undo()

    status = read_status(INSPECTION, job.id)
    assert status.state == "failed", status
    assert status.message.startswith("The server's disk is full"), status.message


@pytest.mark.django_db
def test_a_running_preannotation_does_not_say_it_is_loading_the_models_while_it_goes_through_the_pictures(monkeypatch, make_image) -> None:  # type: ignore[no-untyped-def]
    """Its page read "running · 35/80 · Loading the models." to the end, and after its worker was killed, for ten
    minutes: as if the models never loaded."""
    import review.inspection as inspection
    from review.prediction import PreannotationSummary

    pictures = [make_image(f"{n}_TOP.png").pk for n in range(2)]
    seen: list[str] = []

    def preannotate(images, versions, conf_threshold, progress):  # type: ignore[no-untyped-def]
        progress(1, 2)
        seen.append(read_status(PREANNOTATION, job.id).message)
        return PreannotationSummary(pictures=2)

    monkeypatch.setattr(inspection, "preannotate", preannotate)
    job = filejobs.new_job(root(PREANNOTATION), PREANNOTATION, {"versions": {}, "image_ids": pictures, "conf_threshold": 0.25})
    run_preannotation(job.id)

    assert seen == ["Pre-annotating."]
    assert read_status(PREANNOTATION, job.id).state == "done"


@pytest.mark.parametrize(
    ("kind", "url"), [(INSPECTION, "/inspect/"), (PREANNOTATION, "/review/preannotate")], ids=["inspection", "preannotation"]
)
def test_a_job_the_full_database_could_not_queue_says_so_and_may_be_run_again(  # type: ignore[no-untyped-def]
    client, engineer, make_image, transactional_db, monkeypatch, kind, url
) -> None:
    """The job's files fitted, the queue's row in the full SQLite database did not: the page was a 500 and the job
    said "Waiting for a worker." for ever, even once the disk had room again (only a failed job runs again)."""
    job, page = refused_by_the_queue(monkeypatch, engineer, make_image, kind, url, "database or disk is full")
    assert "the server's disk is full" in job.message and "Free disk space" in job.message
    assert 'id="run-again"' in page


def refused_by_the_queue(monkeypatch, engineer, make_image, kind: str, url: str, error: str):  # type: ignore[no-untyped-def]
    """A job sent from its form while the queue's database raises ``error``: the job (failed, its sentence checked) and
    its page's HTML."""
    import django_q.tasks
    from django.db import OperationalError
    from django.test import Client
    from django.urls import reverse

    from review.inspection import list_jobs, new_form_token
    from tests.review.test_probe_lc import _active_models

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError(error)

    monkeypatch.setattr(django_q.tasks, "async_task", refuse)
    _active_models()
    make_image("001_TOP.png")
    browser = Client(raise_request_exception=False)
    browser.force_login(engineer)
    response = browser.post(url, {"conf": "0.25", "form_token": new_form_token()})

    [job] = list_jobs(kind)
    assert response.status_code == 302 and response["Location"] == reverse("review:job", args=[kind, job.id])
    assert job.state == "failed" and job.message.startswith("The queue did not take this"), job.message
    return job, browser.get(response["Location"]).content.decode()
