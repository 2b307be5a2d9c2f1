"""A model file a restore did not bring back is named in the models folder, never by a path on the server."""

from __future__ import annotations

import pytest
from django.conf import settings

from registry import versions as registry
from registry import weights_store
from registry.models import ModelVersion, WeightsFile


def test_a_version_whose_file_is_missing_names_it_in_the_models_folder_not_by_the_server_path(db) -> None:  # type: ignore[no-untyped-def]
    version = ModelVersion.objects.create(model_type="defect", name="defect_v7", file_path="defect/defect_v7.pt", sha256="0" * 64)
    with pytest.raises(registry.ModelFileMissing) as refused:
        registry.load_checkpoint_path(version)
    said = str(refused.value)
    assert str(settings.DATA_DIR) not in said and str(registry.models_dir()) not in said, said
    assert "defect_v7" in said and "models folder (defect/defect_v7.pt)" in said and "backup" in said, said


def test_starting_weights_whose_upload_file_is_missing_name_it_in_the_models_folder_not_by_the_server_path(db) -> None:  # type: ignore[no-untyped-def]
    upload = WeightsFile.objects.create(
        kind=WeightsFile.Kind.CLASSIFIER, original_name="imagenet.pth", file_path="uploads/gone.pth", sha256="0" * 64
    )
    with pytest.raises(registry.ModelFileMissing) as refused:
        weights_store.starting_weights(f"upload:{upload.pk}", "defect")
    said = str(refused.value)
    assert str(settings.DATA_DIR) not in said and str(registry.models_dir()) not in said, said
    assert "imagenet.pth" in said and "models folder (uploads/gone.pth)" in said, said


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file_path", "on_disk", "said"),
    [
        ("uploads/kept.pth", True, "Deleted upload:{pk} (imagenet.pth) and its file."),
        (
            "uploads/gone.pth",
            False,
            "Deleted upload:{pk} (imagenet.pth); its file uploads/gone.pth was already missing from the models folder.",
        ),
        ("uploads/../../bystander.pth", False, "Deleted upload:{pk} (imagenet.pth); its file was left alone, because its path"),
    ],
)
def test_the_admin_bulk_delete_of_uploads_says_what_happened_to_each_file(
    admin_user, tmp_path, settings, django_capture_on_commit_callbacks, file_path, on_disk, said
) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.admin import helpers
    from django.test import Client

    settings.MODELS_DIR = tmp_path / "models"
    (settings.MODELS_DIR / "uploads").mkdir(parents=True)
    if on_disk:
        (settings.MODELS_DIR / file_path).write_bytes(b"weights")
    bystander = tmp_path / "bystander.pth"
    bystander.write_bytes(b"not ours")
    upload = WeightsFile.objects.create(
        kind=WeightsFile.Kind.CLASSIFIER, original_name="imagenet.pth", file_path=file_path, sha256="0" * 64
    )
    client = Client()
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/registry/weightsfile/",
            {"action": "delete_selected_uploads", helpers.ACTION_CHECKBOX_NAME: [upload.pk], "index": 0, "post": "yes"},
            follow=True,
        )
    messages = [str(message) for message in response.context["messages"]]
    assert any(message.startswith(said.format(pk=upload.pk)) for message in messages), messages
    assert not WeightsFile.objects.filter(pk=upload.pk).exists() and bystander.exists()
    assert not on_disk or not (settings.MODELS_DIR / file_path).exists()
