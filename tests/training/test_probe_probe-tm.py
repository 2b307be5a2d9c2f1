"""Training against pictures whose files are missing or changed, and the server's paths in what users read."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import Image
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


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


def test_a_finished_run_names_its_checkpoint_inside_the_data_folder(settings, admin_client) -> None:  # type: ignore[no-untyped-def]
    """The run's row (shown on its admin page) held /srv/.../runs/run-N/weights/best.pt, a path of the server."""
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 1})
    assert TrainingRun.objects.claim(run.pk, "worker-1")
    best = run.folder / "weights" / "best.pt"
    TrainingRun.objects.finish(run.pk, "worker-1", "succeeded", checkpoint_path=str(best))
    run.refresh_from_db()
    assert run.checkpoint_path == f"runs/run-{run.pk}/weights/best.pt"
    assert run.checkpoint_file == best
    page = admin_client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert f"runs/run-{run.pk}/weights/best.pt" in page and str(settings.DATA_DIR) not in page


def test_a_run_row_from_before_with_an_absolute_checkpoint_still_finds_it_and_shows_its_name(settings, admin_client) -> None:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 1}, status="paused")
    TrainingRun.objects.filter(pk=run.pk).update(checkpoint_path=str(run.folder))
    run.refresh_from_db()
    assert run.checkpoint_file == run.folder
    assert run.checkpoint_name == f"runs/run-{run.pk}"
    page = admin_client.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert f"runs/run-{run.pk}" in page and str(settings.DATA_DIR) not in page


def test_the_run_log_names_the_run_folder_inside_the_data_folder_not_the_servers_path(settings, tiny_snapshot) -> None:  # type: ignore[no-untyped-def]
    """A run resumed after its folder went said "The run's checkpoint is missing from /srv/.../runs/run-N"; the run
    fails here at once (its pictures are gone too), after saying where it trains."""
    from core.data.prepare import PictureUnreadable
    from training.models import EpochMetric, RunLogLine
    from training.tasks import run_training

    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2}, dataset_snapshot=tiny_snapshot, status="interrupted")
    EpochMetric.objects.create(run=run, epoch=1, metrics={})
    lose_files(Image.objects.count())
    TrainingRun.objects.filter(pk=run.pk).update(status="queued")
    with pytest.raises(PictureUnreadable):
        run_training(run.pk)
    log = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    assert f"The run's checkpoint is missing from runs/run-{run.pk}, so training starts again from epoch 1." in log
    assert [line for line in log if line.startswith("Training the ") and line.endswith(f" model in runs/run-{run.pk}.")]
    assert not [line for line in log if str(settings.DATA_DIR) in line]
