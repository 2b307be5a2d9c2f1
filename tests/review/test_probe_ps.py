"""Inspections and pre-annotations in the scale-out layout with its Redis queue stopped (WIRESAG_QUEUE=redis)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from review.inspection import INSPECTION, PREANNOTATION, list_jobs, new_form_token
from tests.review.test_probe_lc import _active_models
from tests.training.test_probe_ps import stopped_redis_queue  # noqa: F401


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


@pytest.mark.parametrize(
    ("kind", "url"), [(INSPECTION, "/inspect/"), (PREANNOTATION, "/review/preannotate")], ids=["inspection", "preannotation"]
)
def test_a_job_started_while_the_redis_queue_is_down_fails_with_a_sentence_instead_of_waiting_for_ever(  # type: ignore[no-untyped-def]
    client,
    engineer,
    make_image,
    transactional_db,
    stopped_redis_queue,  # noqa: F811
    kind,
    url,
) -> None:
    _active_models()
    make_image("001_TOP.png")
    client.force_login(engineer)
    response = client.post(url, {"conf": "0.25", "form_token": new_form_token()})
    [job] = list_jobs(kind)
    assert response.status_code == 302 and response["Location"] == reverse("review:job", args=[kind, job.id])
    # Not "Waiting for a worker." for ever: failed, saying why and what to do, and so it may be run again.
    assert job.state == "failed" and "The queue did not take this" in job.message and "Run it again once Redis" in job.message
    assert 'id="run-again"' in client.get(response["Location"]).content.decode()
