"""An inspection or pre-annotation the database queue could not take for another reason than a full disk.

SQLite busy past its 30 s timeout ("database is locked", a long training write beside it) or PostgreSQL restarted
("server closed the connection unexpectedly"): the page was a 500, and the job said "Waiting for a worker." for
ever, with no "Run it again" (only a failed job runs again, and the stopped-half-way cut-off reads running jobs only).
"""

from __future__ import annotations

import pytest

from review.inspection import INSPECTION, PREANNOTATION


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.parametrize(
    ("kind", "url"), [(INSPECTION, "/inspect/"), (PREANNOTATION, "/review/preannotate")], ids=["inspection", "preannotation"]
)
def test_a_job_the_busy_database_could_not_queue_fails_with_a_sentence_and_may_be_run_again(  # type: ignore[no-untyped-def]
    client, engineer, make_image, transactional_db, monkeypatch, kind, url
) -> None:
    import django_q.tasks
    from django.db import OperationalError
    from django.test import Client
    from django.urls import reverse

    from review.inspection import list_jobs, new_form_token
    from tests.review.test_probe_lc import _active_models

    def locked(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("database is locked")

    monkeypatch.setattr(django_q.tasks, "async_task", locked)
    _active_models()
    make_image("001_TOP.png")
    browser = Client(raise_request_exception=False)
    browser.force_login(engineer)
    response = browser.post(url, {"conf": "0.25", "form_token": new_form_token()})

    [job] = list_jobs(kind)
    assert response.status_code == 302 and response["Location"] == reverse("review:job", args=[kind, job.id])
    assert job.state == "failed" and job.message.startswith("The queue did not take this"), job.message
    assert "database is locked" not in job.message and "run it again" in job.message.lower()
    assert 'id="run-again"' in browser.get(response["Location"]).content.decode()
