"""Backup and restore: a data folder restored at another path (or moved with its parent) keeps its runs trainable."""

from __future__ import annotations

import shutil

import pytest

from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus, TrainingRun
from training.tasks import run_training


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.MODELS_DIR = tmp_path / "models"


def test_a_run_queued_before_the_data_folder_moved_trains_on_the_pictures_at_their_new_place(
    queue_view_run,  # noqa: F811
    settings,
    tmp_path,
):
    run = queue_view_run()
    # The operator restores the backup into another folder (or renames the folder's parent): the pictures are there,
    # under the new media folder, and nothing is left at the old path.
    moved = tmp_path / "restored" / "media"
    moved.parent.mkdir()
    shutil.move(settings.MEDIA_ROOT, moved)
    settings.MEDIA_ROOT = moved

    run_training(run.pk)
    run.refresh_from_db()
    log = list(run.log_lines.order_by("id").values_list("message", flat=True))
    assert run.status == RunStatus.SUCCEEDED, (run.error, log)
    assert TrainingRun.objects.get(pk=run.pk).dataset_folders(settings.DATASETS_DIR)


def test_a_new_run_whose_folder_holds_a_run_the_restored_database_does_not_know_trains_afresh_and_keeps_those_files(
    queue_view_run,  # noqa: F811
    settings,
):
    # The database came back from an earlier day than runs/: a run of the later day left runs/run-<id>, and the next run
    # the restored database creates gets that id. Here run A stands for the forgotten run, its folder copied to B's id.
    forgotten = queue_view_run()
    run_training(forgotten.pk)
    run = queue_view_run()
    shutil.copytree(forgotten.folder, run.folder)  # copy2 keeps the files' times: written before this run existed
    leftovers = sorted(str(p.relative_to(run.folder)) for p in run.folder.rglob("*"))

    run_training(run.pk)
    run.refresh_from_db()
    log = list(run.log_lines.order_by("id").values_list("message", flat=True))
    assert run.status == RunStatus.SUCCEEDED, (run.error, log)
    assert not any(line.startswith("Resuming") or "Resumed" in line for line in log), log
    assert list(run.epochs.order_by("epoch").values_list("epoch", flat=True)) == list(range(1, run.config["epochs"] + 1))
    kept = [p for p in settings.RUNS_DIR.iterdir() if p.name.startswith(f"run-{run.pk}.")]
    assert len(kept) == 1 and sorted(str(p.relative_to(kept[0])) for p in kept[0].rglob("*")) == leftovers
    assert any(f"runs/{kept[0].name}" in line and "database" in line for line in log), log
