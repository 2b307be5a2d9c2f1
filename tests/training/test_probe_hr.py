"""A run's folder is its own for sure: a restore's leftover run is moved aside, a run's own checkpoint never is."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.training.events import StopRequested
from training import tasks
from training.models import RunLogLine, RunStatus, TrainingRun
from training.sink import DatabaseSink


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"


@pytest.fixture
def trainer(monkeypatch) -> list[bool]:  # type: ignore[no-untyped-def]
    """A stand-in trainer: writes its checkpoint and pauses after epoch 1; records whether each call resumed."""
    resumed: list[bool] = []

    def train(model_type: str, config: Any, snapshot: Any, folder: Path, sink: Any, *, resume: bool, **kwargs: Any) -> None:
        resumed.append(resume)
        (folder / "weights").mkdir(parents=True, exist_ok=True)
        (folder / "weights" / "last.pt").write_bytes(b"checkpoint of epoch 1")
        raise StopRequested("pause", 2)

    monkeypatch.setattr("core.training.runner.train", train)
    monkeypatch.setattr("training.snapshot.snapshot_from_run_json", lambda data: None)
    return resumed


def train_once(run: TrainingRun) -> str:
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED)
    TrainingRun.objects.claim(run.pk, "w1")
    return tasks._train(TrainingRun.objects.get(pk=run.pk), "w1", DatabaseSink(run.pk, "w1"))


def set_back(folder: Path, seconds: float) -> None:
    for path in [folder, *folder.rglob("*")]:
        stat = path.lstat()
        os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds), follow_symlinks=False)


def aside_folders(run: TrainingRun) -> list[Path]:
    return [path for path in run.folder.parent.iterdir() if path.name.startswith(f"{run.folder.name}.")]


@pytest.mark.django_db
def test_a_paused_run_whose_file_server_clock_lags_resumes_from_its_own_checkpoint(trainer) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json

    run = TrainingRun.objects.create(model_type="view", config=to_json(load_config("view", "cpu-quick")))
    assert train_once(run) == RunStatus.PAUSED
    # The shared data folder's server (NFS, SMB) runs a few minutes behind the web host that stamped the run's creation:
    # every file the paused run wrote reads as older than the run.
    set_back(run.folder, 600)

    assert train_once(run) == RunStatus.PAUSED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    assert trainer == [False, True], messages
    assert not aside_folders(run), messages
    assert not any("does not know" in message for message in messages), messages


@pytest.mark.django_db
def test_a_restored_database_s_new_run_sets_aside_the_forgotten_run_of_the_same_id_even_with_newer_files(trainer) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json

    run = TrainingRun.objects.create(model_type="view", config=to_json(load_config("view", "cpu-quick")))
    assert train_once(run) == RunStatus.PAUSED
    # The database came back from a backup taken before that run: the next run it creates has the same id, and its
    # folder holds the forgotten run's checkpoint (here with times later than the new row: a file server ahead).
    TrainingRun.objects.filter(pk=run.pk).update(created_at=run.created_at - timedelta(days=1))
    RunLogLine.objects.filter(run=run).delete()

    assert train_once(run) == RunStatus.PAUSED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    assert trainer == [False, False], messages
    (kept,) = aside_folders(run)
    assert (kept / "weights" / "last.pt").is_file()
    assert any(f"runs/{kept.name}" in message for message in messages), messages


@pytest.mark.django_db
def test_two_forgotten_runs_of_the_same_id_set_aside_within_one_second_are_both_kept(trainer) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import load_config, to_json

    run = TrainingRun.objects.create(model_type="view", config=to_json(load_config("view", "cpu-quick")))
    for _ in range(3):  # each time the database "comes back" from before the run: the folder is another run's
        TrainingRun.objects.filter(pk=run.pk).update(created_at=TrainingRun.objects.get(pk=run.pk).created_at - timedelta(days=1))
        assert train_once(run) == RunStatus.PAUSED
    kept = aside_folders(run)
    assert len(kept) == 2, kept  # the first training found no folder; the two after it each set one aside, none lost
    assert all((folder / "weights" / "last.pt").is_file() for folder in kept)
