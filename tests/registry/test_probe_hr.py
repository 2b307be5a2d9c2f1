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
