"""Known leftovers: the pre-annotation form sent twice, sent-form tokens and inspection folders that never expired."""

from __future__ import annotations

import re

import pytest

from registry.models import ModelVersion
from review.inspection import PREANNOTATION, list_jobs


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


@pytest.fixture
def active_models(db) -> None:  # type: ignore[no-untyped-def]
    """Active versions of the three types: enough for the forms to queue a job (no worker runs it here)."""
    for model_type in ("detection", "view", "defect"):
        ModelVersion.objects.create(
            name=f"{model_type}_a", model_type=model_type, file_path=f"{model_type}/a.pt", sha256="0" * 64, is_active=True
        )


def _form_token(page: str) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]{32})"', page)
    assert found, "the form carries no one-time token"
    return found.group(1)


def test_the_preannotation_form_sent_twice_queues_one_job_and_opens_it(  # type: ignore[no-untyped-def]
    client, engineer, active_models, make_image, django_capture_on_commit_callbacks
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


def test_a_preannotation_form_refused_can_be_sent_again_once_corrected(  # type: ignore[no-untyped-def]
    client, engineer, active_models, make_image, django_capture_on_commit_callbacks
) -> None:
    make_image("001_TOP.png")
    client.force_login(engineer)
    token = _form_token(client.get("/review/").content.decode())
    with django_capture_on_commit_callbacks(execute=False):
        refused = client.post("/review/preannotate", {"conf": "7", "form_token": token}, follow=True)
        assert "between 0 and 1" in refused.content.decode()
        assert client.post("/review/preannotate", {"conf": "0.25", "form_token": token}).status_code == 302
    assert len(list_jobs(PREANNOTATION)) == 1
