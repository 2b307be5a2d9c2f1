"""A model version deleted while a job that uses it was starting: the job says so, never 'restore it from a backup'."""

from __future__ import annotations

import pytest

from registry import versions as registry
from registry.models import ModelVersion
from review.prediction import PredictionUnavailable, build_pipeline


@pytest.fixture
def model_set(settings, tmp_path) -> dict[str, ModelVersion]:  # type: ignore[no-untyped-def]
    """A detection, a view and a defect version as a job reads them when it starts (their files are never loaded here)."""
    settings.MODELS_DIR = tmp_path / "models"
    chosen = {}
    for model_type in ("detection", "view", "defect"):
        source = tmp_path / f"{model_type}.pt"
        source.write_bytes(model_type.encode())
        chosen[model_type] = registry.register_version(model_type, source, metrics={})
    return chosen


@pytest.mark.django_db
def test_a_job_whose_version_was_deleted_after_it_read_the_rows_says_it_was_deleted(model_set, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registry.delete_version(ModelVersion.objects.get(pk=model_set["detection"].pk), None)

    with pytest.raises(PredictionUnavailable) as refused:
        build_pipeline(model_set)  # the rows the job read a moment before the deletion (a big zip was still being read)

    sentence = str(refused.value)
    name = model_set["detection"].name
    assert sentence == (
        f"The model version {name} was deleted after this job started, so it did not run; start the job again with the "
        "models now active or chosen."
    )
    assert "backup" not in sentence and str(registry.models_dir()) not in sentence
