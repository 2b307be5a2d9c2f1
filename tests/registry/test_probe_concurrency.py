"""Deleting a model version that an unfinished training run still starts from."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registry.models import ModelVersion
from tests.registry.test_pages import engineer_client, make, messages_of  # noqa: F401 (a fixture)
from training.models import RunStatus, TrainingRun
from training.weights_sources import starting_weights


@pytest.mark.django_db(transaction=True)
def test_a_version_a_paused_run_started_from_cannot_be_deleted_from_under_its_resume(engineer_client, tmp_path):  # noqa: F811
    """A run fine-tuned from version:N and paused (or interrupted by a killed worker) looks its starting weights up again
    when it resumes; with the version deleted meanwhile, the resume failed the run ('No model version has id N'), and a
    failed run cannot be resumed: its epochs were lost. The deletion is refused with a sentence instead."""
    start = make(tmp_path, "view", metrics={"accuracy": 0.8})
    paused = TrainingRun.objects.create(model_type="view", status=RunStatus.PAUSED, config={"weights": f"version:{start.pk}"})
    response = engineer_client.post(reverse("registry:delete", args=[start.pk]), follow=True)
    assert ModelVersion.objects.filter(pk=start.pk).exists(), "the version a paused run resumes from was deleted"
    assert f"run #{paused.pk}" in messages_of(response)
    assert starting_weights(paused.config["weights"], "view").sha256 == start.sha256  # what the resume asks for
    TrainingRun.objects.filter(pk=paused.pk).update(status=RunStatus.CANCELLED)  # once no run needs it, it may go
    response = engineer_client.post(reverse("registry:delete", args=[start.pk]), follow=True)
    assert f"Deleted {start.name}" in messages_of(response) and not ModelVersion.objects.filter(pk=start.pk).exists()
