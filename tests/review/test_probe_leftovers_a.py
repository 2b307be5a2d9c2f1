"""Known leftovers: the pre-annotation form sent twice, sent-form tokens and inspection folders that never expired."""

from __future__ import annotations

import io
import os
import time

import pytest

from review.inspection import (
    INSPECTION,
    PREANNOTATION,
    SENT_FORMS,
    job_dir,
    list_jobs,
    new_form_token,
    read_status,
    root,
    start_inspection,
    write_status,
)
from tests.review.test_probe_leftovers import _form_token, active_models  # noqa: F401


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.usefixtures("active_models")
def test_the_preannotation_form_sent_twice_queues_one_job_and_opens_it(  # type: ignore[no-untyped-def]
    client,
    engineer,
    make_image,
    django_capture_on_commit_callbacks,
) -> None:
    """A double click on 'Pre-annotate' (or the form sent again from the browser's history) queued two jobs."""
    make_image("001_TOP.png")
    client.force_login(engineer)
    token = _form_token(client.get("/review/").content.decode())
    form = {"conf": "0.25", "form_token": token}
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post("/review/preannotate", form)
        second = client.post("/review/preannotate", form, follow=True)
    assert first.status_code == 302
    assert len(list_jobs(PREANNOTATION)) == 1
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "This form was already sent" in second.content.decode()


@pytest.mark.usefixtures("active_models")
def test_a_preannotation_form_refused_can_be_sent_again_once_corrected(  # type: ignore[no-untyped-def]
    client,
    engineer,
    make_image,
    django_capture_on_commit_callbacks,
) -> None:
    make_image("001_TOP.png")
    client.force_login(engineer)
    token = _form_token(client.get("/review/").content.decode())
    with django_capture_on_commit_callbacks(execute=False):
        refused = client.post("/review/preannotate", {"conf": "7", "form_token": token}, follow=True)
        assert "between 0 and 1" in refused.content.decode()
        assert client.post("/review/preannotate", {"conf": "0.25", "form_token": token}).status_code == 302
    assert len(list_jobs(PREANNOTATION)) == 1


def _aged(path, hours: float) -> None:  # type: ignore[no-untyped-def]
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


@pytest.mark.usefixtures("active_models")
def test_the_schedule_forgets_old_sent_forms_and_old_finished_inspections_zips_but_keeps_their_reports(  # type: ignore[no-untyped-def]
    db,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    """Sent-form tokens and every uploaded inspection zip stayed in the data folder for ever."""
    from django.utils.module_loading import import_string
    from django_q.models import Schedule

    expire = import_string(Schedule.objects.get(name="review-expire-files").func)  # what the worker runs
    settings.INSPECTION_ZIP_EXPIRE_HOURS = 24
    jobs: dict[str, str] = {}
    with django_capture_on_commit_callbacks(execute=False):
        ages = [("old_done", "done", 25), ("old_failed", "failed", 25), ("new_done", "done", 1), ("old_queued", "queued", 99)]
        for name, state, hours in ages:
            status = start_inspection(archive=io.BytesIO(b"zip bytes"), archive_name=f"{name}.zip", form_token=new_form_token())
            status.state = state
            write_status(INSPECTION, status)
            (job_dir(INSPECTION, status.id) / "report.json").write_text("{}", encoding="utf-8")
            _aged(job_dir(INSPECTION, status.id) / "status.json", hours)
            jobs[name] = status.id
    forms = root(INSPECTION) / SENT_FORMS
    tokens = sorted(forms.iterdir())
    assert len(tokens) == 4
    _aged(tokens[0], 25)
    preannotation_form = root(PREANNOTATION) / SENT_FORMS / new_form_token()
    preannotation_form.parent.mkdir(parents=True)
    preannotation_form.write_text("", encoding="utf-8")
    _aged(preannotation_form, 25)
    unrelated = forms / "README.txt"
    unrelated.write_text("kept", encoding="utf-8")
    _aged(unrelated, 99)

    expire()

    assert sorted(forms.iterdir()) == sorted([*tokens[1:], unrelated]) and not preannotation_form.exists()
    zips = {name: (job_dir(INSPECTION, job_id) / "upload.zip").exists() for name, job_id in jobs.items()}
    assert zips == {"old_done": False, "old_failed": False, "new_done": True, "old_queued": True}
    assert all((job_dir(INSPECTION, job_id) / "report.json").exists() for job_id in jobs.values())
    assert read_status(INSPECTION, jobs["old_done"]).state == "done"  # the job and its reports are still listed and downloadable
