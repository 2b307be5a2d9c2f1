"""A run starts only from the app's weights store: the launch form, the train command and the worker refuse anything else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.training.config import load_config, to_json
from core.training.networks import build_network
from registry.weights_store import store_upload
from tests.live_fixtures import TINY_VIEW_SETTINGS
from training.models import RunLogLine, RunStatus, TrainingRun
from training.tasks import run_training


class MarkerOnLoad:
    """Unpickling this object creates the marker file: the stand-in for code run by a planted pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


@pytest.fixture(autouse=True)
def _store_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    """A pickle an annotator could leave in an unpacked import folder, and the marker it would create."""
    marker = tmp_path / "code-ran"
    path = tmp_path / "import" / "unpacked" / "weights.pt"
    path.parent.mkdir(parents=True)
    torch.save({"model": MarkerOnLoad(marker)}, path)
    return path, marker


def resnet18_upload(tmp_path: Path, user: Any):  # type: ignore[no-untyped-def]
    path = tmp_path / "r18.pt"
    torch.save(build_network("resnet18", 2).state_dict(), path)
    return store_upload(SimpleUploadedFile("r18.pt", path.read_bytes()), "classifier", user)


@pytest.mark.django_db
def test_the_launch_form_refuses_a_server_path_as_weights(client, engineer, planted) -> None:  # type: ignore[no-untyped-def]
    path, marker = planted
    client.force_login(engineer)
    response = client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": f"weights: {path}"}
    )
    assert response.status_code == 200
    assert "must name a file of the app&#x27;s weights store, such as version:12 or upload:3" in response.content.decode()
    assert not TrainingRun.objects.exists() and not marker.exists()


@pytest.mark.django_db
def test_the_launch_form_refuses_store_weights_of_the_wrong_kind(client, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    upload = resnet18_upload(tmp_path, engineer)
    client.force_login(engineer)
    response = client.post(
        reverse("training:launch"),
        {"model_type": "detection", "preset": "cpu-quick", "device": "cpu", "detection_settings": f"weights: {upload.reference}"},
    )
    assert "cannot start a detection model" in response.content.decode()
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_the_train_command_refuses_a_server_path_as_weights(planted) -> None:  # type: ignore[no-untyped-def]
    path, marker = planted
    with pytest.raises(CommandError, match="must name a file of the app's weights store"):
        call_command("train", "view", "--set", f"weights={path}")
    assert not marker.exists()


def queue(engineer: Any, snapshot: dict[str, Any], weights: str) -> TrainingRun:
    config = to_json(load_config("view", "cpu-quick", overrides={**TINY_VIEW_SETTINGS, "epochs": 1, "weights": weights}))
    return TrainingRun.objects.launch(["view"], {"view": config}, {"view": snapshot}, engineer, device="cpu")[0]


def test_the_worker_refuses_store_weights_whose_bytes_changed(tiny_snapshot, engineer, tmp_path, planted, settings) -> None:  # type: ignore[no-untyped-def]
    path, marker = planted
    upload = resnet18_upload(tmp_path, engineer)
    (Path(settings.MODELS_DIR) / upload.file_path).write_bytes(path.read_bytes())
    run = queue(engineer, tiny_snapshot, upload.reference)
    with pytest.raises(ValueError, match="do not match the checksum"):
        run_training(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "do not match the checksum recorded when they were stored" in run.error
    assert not marker.exists()


def test_the_worker_starts_from_store_weights_after_checking_them(tiny_snapshot, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    upload = resnet18_upload(tmp_path, engineer)
    run = queue(engineer, tiny_snapshot, upload.reference)
    assert run_training(run.pk) == RunStatus.SUCCEEDED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    assert f"Started from r18.pt ({upload.reference}); its checksum matched the store's." in messages
