"""The weights store: uploads by engineers and admins, recorded with sha256 and uploader; references resolved by kind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import torch
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.training.config import load_config
from core.training.networks import build_model, build_network
from core.training.startweights import WeightsRefused
from registry import versions as registry
from registry.models import WeightsFile
from registry.weights_store import starting_weights, store_upload

pytestmark = pytest.mark.django_db


class MarkerOnLoad:
    """Unpickling this object creates the marker file: the stand-in for code run by a planted pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def state_dict_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "resnet18.pt"
    torch.save(build_network("resnet18", 2).state_dict(), path)
    return path.read_bytes()


def pickle_bytes(tmp_path: Path, marker: Path) -> bytes:
    path = tmp_path / "planted.pt"
    torch.save({"model": MarkerOnLoad(marker)}, path)
    return path.read_bytes()


def test_an_engineer_uploads_a_state_dict_recorded_with_its_checksum_and_uploader(engineer_client, engineer, tmp_path, settings):
    data = state_dict_bytes(tmp_path)
    response = engineer_client.post(
        reverse("registry:weights"),
        {"file": SimpleUploadedFile("imagenet-resnet18.pt", data), "kind": "classifier", "note": "from the old tool"},
    )
    assert response.status_code == 302
    upload = WeightsFile.objects.get()
    stored = Path(settings.MODELS_DIR) / upload.file_path
    assert stored.parent == Path(settings.MODELS_DIR) / "uploads" and stored.read_bytes() == data
    assert (upload.sha256, upload.uploaded_by, upload.original_name) == (hashlib.sha256(data).hexdigest(), engineer, "imagenet-resnet18.pt")
    assert [p.name for p in stored.parent.iterdir()] == [stored.name]  # no temporary file left behind
    page = engineer_client.get(reverse("registry:weights")).content.decode()
    assert f"upload:{upload.pk}" in page and "imagenet-resnet18.pt" in page


def test_annotators_cannot_upload_starting_weights(client, annotator, tmp_path):
    client.force_login(annotator)
    upload = SimpleUploadedFile("w.pt", state_dict_bytes(tmp_path))
    response = client.post(reverse("registry:weights"), {"file": upload, "kind": "classifier"})
    assert response.status_code == 403 and not WeightsFile.objects.exists()


def test_a_pickle_uploaded_as_classifier_weights_is_refused_and_never_runs(engineer_client, tmp_path, settings):
    marker = tmp_path / "code-ran"
    response = engineer_client.post(
        reverse("registry:weights"), {"file": SimpleUploadedFile("weights.pt", pickle_bytes(tmp_path, marker)), "kind": "classifier"}
    )
    assert response.status_code == 200 and "not a plain state dict of tensors" in response.content.decode()
    assert not WeightsFile.objects.exists() and not marker.exists()
    assert not any((Path(settings.MODELS_DIR) / "uploads").iterdir())


def test_a_planted_pickle_uploaded_as_detection_weights_is_refused_with_a_sentence(engineer_client, tmp_path, settings):
    marker = tmp_path / "code-ran"
    response = engineer_client.post(
        reverse("registry:weights"), {"file": SimpleUploadedFile("best.pt", pickle_bytes(tmp_path, marker)), "kind": "detection"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "best.pt cannot be loaded safely: it refers to __builtin__.getattr" in page
    assert "holds only Ultralytics and torch layers" in page
    assert not WeightsFile.objects.exists() and not marker.exists()
    assert not any((Path(settings.MODELS_DIR) / "uploads").iterdir())


def test_a_detector_written_by_ultralytics_is_accepted(engineer, tmp_path):
    from core.offline import import_yolo

    path = tmp_path / "best.pt"
    torch.save({"epoch": -1, "model": import_yolo()("yolov8n.yaml").model, "ema": None}, path)
    upload = store_upload(SimpleUploadedFile("best.pt", path.read_bytes()), "detection", engineer)
    assert starting_weights(upload.reference, "detection").sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_detector_upload_must_be_a_pytorch_file(engineer):
    with pytest.raises(registry.RegistryError, match="not a PyTorch .pt file"):
        store_upload(SimpleUploadedFile("best.pt", b"not a zip"), "detection", engineer)


def test_references_resolve_to_store_files_of_the_right_kind(engineer, tmp_path):
    classifier = store_upload(SimpleUploadedFile("r18.pt", state_dict_bytes(tmp_path)), "classifier", engineer)
    weights = starting_weights(classifier.reference, "defect")
    assert (weights.reference, weights.sha256, weights.label) == (f"upload:{classifier.pk}", classifier.sha256, "r18.pt")
    with pytest.raises(registry.RegistryError, match="cannot start a detection model"):
        starting_weights(classifier.reference, "detection")
    source = tmp_path / "best.pt"
    torch.save({"model": build_network("resnet18", 2).state_dict()}, source)
    version = registry.register_version("view", source, metrics={"accuracy": 1.0})
    assert starting_weights(f"version:{version.pk}", "view").sha256 == version.sha256
    with pytest.raises(registry.RegistryError, match="is a view model and cannot start a detection model"):
        starting_weights(f"version:{version.pk}", "detection")
    with pytest.raises(registry.RegistryError, match="No uploaded weights file has id 999"):
        starting_weights("upload:999", "view")
    with pytest.raises(registry.RegistryError, match="must name a file of the app's weights store"):
        starting_weights(str(source), "view")


def test_a_store_file_whose_bytes_changed_after_upload_is_refused_before_loading(engineer, tmp_path, settings):
    marker = tmp_path / "code-ran"
    upload = store_upload(SimpleUploadedFile("r18.pt", state_dict_bytes(tmp_path)), "classifier", engineer)
    (Path(settings.MODELS_DIR) / upload.file_path).write_bytes(pickle_bytes(tmp_path, marker))
    weights = starting_weights(upload.reference, "view")
    config = load_config("view", overrides={"architecture": "resnet18", "weights": upload.reference})
    with pytest.raises(WeightsRefused, match="do not match the checksum recorded when they were stored"):
        build_model(config, 2, weights)
    assert not marker.exists()


def test_a_stored_state_dict_starts_a_classifier(engineer, tmp_path):
    source = build_network("resnet18", 2)
    path = tmp_path / "r18.pt"
    torch.save(source.state_dict(), path)
    upload = store_upload(SimpleUploadedFile("r18.pt", path.read_bytes()), "classifier", engineer)
    config = load_config("view", overrides={"architecture": "resnet18", "weights": upload.reference})
    model = build_model(config, 2, starting_weights(upload.reference, "view"))
    assert torch.equal(model.state_dict()["conv1.weight"], source.state_dict()["conv1.weight"])
