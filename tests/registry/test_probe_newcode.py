"""Re-probing today's guard on deleting starting weights that an unfinished run loads again."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.test import Client

from registry.models import WeightsFile
from training.models import RunStatus, TrainingRun
from training.weights_sources import starting_weights


@pytest.fixture
def upload_a_paused_run_started_from(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    (settings.MODELS_DIR / "uploads").mkdir(parents=True)
    (settings.MODELS_DIR / "uploads" / "r18.pt").write_bytes(b"weights")
    upload = WeightsFile.objects.create(kind="classifier", original_name="r18.pt", file_path="uploads/r18.pt", sha256="0" * 64)
    paused = TrainingRun.objects.create(model_type="view", status=RunStatus.PAUSED, config={"weights": upload.reference})
    return upload, paused


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_an_upload_a_paused_run_started_from_cannot_be_deleted_from_under_its_resume(  # type: ignore[no-untyped-def]
    admin_user, upload_a_paused_run_started_from, how
) -> None:
    """Today's guard kept a version a paused (or interrupted) run starts from, but not an uploaded file (weights:
    upload:N), which the run looks up again just the same when it resumes: the admin deleted it, and the resume failed
    the run ('No uploaded weights have id N'), losing its epochs. The deletion is refused with a sentence instead."""
    upload, paused = upload_a_paused_run_started_from
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    if how == "delete page":
        response = client.post(f"/admin/registry/weightsfile/{upload.pk}/delete/", {"post": "yes"}, follow=True)
        assert f"run #{paused.pk}" in response.content.decode()
    else:
        response = client.post(
            "/admin/registry/weightsfile/",
            {"action": "delete_selected_uploads", helpers.ACTION_CHECKBOX_NAME: [upload.pk], "index": 0, "post": "yes"},
            follow=True,
        )
        assert f"run #{paused.pk}" in response.content.decode()
    assert WeightsFile.objects.filter(pk=upload.pk).exists(), "the upload a paused run resumes from was deleted"
    assert starting_weights(paused.config["weights"], "view").label == "r18.pt"  # what the resume asks for
