"""Activating or rolling back onto a version whose file is gone is refused, and the live model stays live."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from registry import versions as registry
from registry.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _models_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"


def version(tmp_path: Path, name: str) -> ModelVersion:
    checkpoint = tmp_path / f"{name}.pt"
    checkpoint.write_bytes(name.encode() * 10)
    return registry.register_version("view", checkpoint, metrics={"accuracy": 0.9})


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_rollback_onto_a_version_whose_file_is_gone_keeps_the_live_model(client, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old, new = version(tmp_path, "old"), version(tmp_path, "new")
    registry.activate(old, engineer, "first")
    registry.activate(new, engineer, "better")
    registry.file_of(old).unlink()  # a disk cleanup or a bad restore
    client.force_login(engineer)
    response = client.post(reverse("registry:rollback"), {"model_type": "view", "reason": "new one misbehaves"})
    assert ModelVersion.objects.get(model_type="view", is_active=True) == new
    assert any(f"The file of {old.name} is missing from the models folder" in note for note in messages_of(response))


def test_activating_a_version_whose_file_is_gone_keeps_the_live_model(client, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good, broken = version(tmp_path, "good"), version(tmp_path, "broken")
    registry.activate(good, engineer, "first")
    registry.file_of(broken).unlink()
    client.force_login(engineer)
    response = client.post(reverse("registry:activate", args=[broken.pk]), {"reason": "try it"})
    assert ModelVersion.objects.get(model_type="view", is_active=True) == good
    assert any("restore the file from a backup, or delete this version. The live model is unchanged." in n for n in messages_of(response))
