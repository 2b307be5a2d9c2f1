"""Training against pictures whose files are missing or changed, and the server's paths in what users read."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import Image
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.force_login(engineer)
    return client


def lose_files(count: int) -> list[Image]:
    """Delete the files of the first ``count`` pictures, as a restore whose ``media/`` is older than the database does."""
    lost = list(Image.objects.order_by("pk")[:count])
    for image in lost:
        image.file.storage.delete(image.file.name)
    return lost


def test_the_launch_form_names_pictures_whose_files_are_missing_and_queues_nothing(engineer_client, tiny_library) -> None:  # type: ignore[no-untyped-def]
    lost = lose_files(2)
    response = engineer_client.post(reverse("training:launch"), {"model_type": "all", "preset": "cpu-quick", "device": "cpu"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 pictures have no file in the data folder" in page
    for image in lost:
        assert f"{image.original_name} (wire {image.wire_key})" in page
    assert "Files missing" in page and page.count("have no file in the data folder") == 1  # said once, not per model
    assert str(image.file.storage.location) not in page
    assert not TrainingRun.objects.exists()


def test_cross_validating_settings_refuses_pictures_whose_files_are_missing(engineer_client, tiny_library) -> None:  # type: ignore[no-untyped-def]
    (lost,) = lose_files(1)
    launch = {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "folds": "3"}
    page = engineer_client.post(reverse("training:launch"), launch).content.decode()
    assert f"1 picture has no file in the data folder: {lost.original_name}" in page
    assert not TrainingRun.objects.exists()


def test_manage_py_train_refuses_pictures_whose_files_are_missing_before_creating_a_run(tiny_library) -> None:  # type: ignore[no-untyped-def]
    (lost,) = lose_files(1)
    with pytest.raises(CommandError, match=f"1 picture has no file in the data folder: {lost.original_name}"):
        call_command("train", "detection", "--preset", "cpu-quick")
    assert not TrainingRun.objects.exists()
