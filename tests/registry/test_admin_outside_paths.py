"""Admin deletes of rows whose stored path leaves its folder: the row goes, the file outside is never touched."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.test import Client

from registry.models import ModelVersion, WeightsFile


def _outside_version(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    (settings.MODELS_DIR / "defect").mkdir(parents=True)
    bystander = tmp_path / "bystander.pt"
    bystander.write_bytes(b"not ours")
    version = ModelVersion.objects.create(model_type="defect", name="defect_outside", file_path="../bystander.pt", sha256="0" * 64)
    return version, bystander


@pytest.mark.django_db
def test_a_version_pointing_outside_the_models_folder_can_be_deleted(admin_user, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    """The registry tells the user '... points outside the models folder; delete this version.' -- but the
    delete (registry page, admin action) raises that same sentence before deleting the row, so the row can
    never be removed. Expected: the row goes, the file outside is left alone."""
    version, bystander = _outside_version(tmp_path, settings)
    client = Client()
    client.force_login(admin_user)
    client.post(
        "/admin/registry/modelversion/",
        {"action": "delete_selected_versions", helpers.ACTION_CHECKBOX_NAME: [version.pk], "index": 0, "post": "yes"},
    )
    assert bystander.exists()
    assert not ModelVersion.objects.filter(pk=version.pk).exists(), "the version pointing outside is still there"


@pytest.mark.django_db
def test_admin_delete_page_of_a_version_pointing_outside_is_not_a_500(admin_user, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    version, bystander = _outside_version(tmp_path, settings)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.post(f"/admin/registry/modelversion/{version.pk}/delete/", {"post": "yes"})
    assert response.status_code < 500
    assert bystander.exists()


@pytest.mark.django_db
def test_admin_bulk_delete_of_an_upload_pointing_outside_is_not_a_500(admin_user, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    """WeightsFileAdmin.delete_selected_uploads does not catch the registry's refusal (delete_upload -> upload_path)."""
    settings.MODELS_DIR = tmp_path / "models"
    (settings.MODELS_DIR / "uploads").mkdir(parents=True)
    bystander = tmp_path / "bystander.pt"
    bystander.write_bytes(b"not ours")
    upload = WeightsFile.objects.create(kind="classifier", original_name="x.pt", file_path="uploads/../../bystander.pt", sha256="0" * 64)
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    response = client.post(
        "/admin/registry/weightsfile/",
        {"action": "delete_selected_uploads", helpers.ACTION_CHECKBOX_NAME: [upload.pk], "index": 0, "post": "yes"},
    )
    assert response.status_code < 500
    assert bystander.exists()
