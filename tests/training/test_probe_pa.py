"""A cross-validation whose final model fails says so; prepared data sets no run needs any more are deleted."""

from __future__ import annotations

import fcntl
import os
import time
import types
from pathlib import Path

import pytest
from django.urls import reverse

from core.training.events import StopRequested
from tests.training import test_probe_lf
from tests.training.test_probe_lf import errors_of, trainer_that
from training import tasks
from training.models import RunStatus, TrainingRun
from training.sink import DatabaseSink

TINY = "epochs: 1\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"
cross_validation = test_probe_lf.cross_validation  # the fixture: a queued five-fold cross-validation claimed by worker w1


def final_model_that(monkeypatch, does) -> None:  # type: ignore[no-untyped-def]
    """Every fold "predicts" PASS without training; the final model (trained in the run's own folder) runs ``does()``."""
    import core.training.runner

    trainer_that(monkeypatch, "never", lambda: None)
    folds_train = core.training.runner.train

    def train(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        if not folder.name.startswith("fold-"):
            does()
        return folds_train(model_type, config, snapshot, folder, sink, **kwargs)

    monkeypatch.setattr(core.training.runner, "train", train)


def test_a_final_model_that_fails_names_itself_and_keeps_the_table(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """All five folds finished, then the final model raised: the run's error was the trainer's bare "CUDA error: ...", as
    if the folds had failed too, with no word that their out-of-fold table is on the page."""

    def crash() -> None:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    final_model_that(monkeypatch, crash)
    run = cross_validation
    with pytest.raises(Exception):  # noqa: B017, PT011 (the task re-raises for django-q's record)
        tasks._train(run, "w1", DatabaseSink(run.pk, "w1"))
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Final model: CUDA error: an illegal memory access was encountered"), run.error
    assert "out-of-fold table is kept" in run.error, run.error
    assert run.cross_validation["k"] == 5  # it really is kept
    assert errors_of(run) == [run.error]
    assert "RuntimeError: CUDA error" in run.traceback


def test_a_final_model_short_of_memory_is_interrupted_saying_the_resume_trains_it(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.training.device import NotEnoughMemory

    def short() -> None:
        raise NotEnoughMemory("Training needs about 9.0 GB of memory; the worker has 2.0 GB free.")

    final_model_that(monkeypatch, short)
    run = cross_validation
    with pytest.raises(Exception):  # noqa: B017, PT011
        tasks._train(run, "w1", DatabaseSink(run.pk, "w1"))
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED and run.can_resume
    assert run.error.startswith("Final model: Training needs about 9.0 GB"), run.error
    assert "The finished folds and their out-of-fold table are kept" in run.error, run.error
    assert "it continues with the final model" in run.error, run.error


def test_a_pause_in_the_final_model_is_still_a_pause(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def pause() -> None:
        raise StopRequested("pause", 2)

    final_model_that(monkeypatch, pause)
    run = cross_validation
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    assert TrainingRun.objects.get(pk=run.pk).error == ""


# --- prepared data sets are deleted once no run has used them for a while ---------------------------------------------

DAY = 24 * 3600


def aged(path: Path, days: float) -> None:
    """Make ``path`` (not what it links to) look last used ``days`` ago."""
    moment = time.time() - days * DAY
    os.utime(path, (moment, moment), follow_symlinks=False)


def prepared_folders(datasets: Path) -> list[str]:
    return sorted(entry.name for entry in datasets.iterdir() if not entry.name.endswith(".lock"))


@pytest.fixture
def datasets(db, settings, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.DATASETS_DIR.mkdir()
    settings.DATASET_EXPIRE_DAYS = 14
    return settings.DATASETS_DIR


def a_prepared_set(datasets: Path, name: str) -> Path:
    folder = datasets / name
    (folder / "train" / "PASS").mkdir(parents=True)
    (folder / "train" / "PASS" / "w1_TOP-0123456789-0.png").write_bytes(b"\x89PNG crop")
    (folder / "info.json").write_text("{}")
    (datasets / f"{name}.lock").touch()
    return folder


@pytest.fixture
def paused_run(db, datasets, tmp_path, client, engineer) -> tuple[TrainingRun, Path]:  # type: ignore[no-untyped-def]
    """A paused defect run and the data set its worker prepared for it (by the trainer's own ``prepare``)."""
    from core.training.config import from_json
    from core.training.runner import prepare
    from tests.live_fixtures import ingest_synthetic
    from training.snapshot import snapshot_from_run_json

    ingest_synthetic(tmp_path / "synthetic", {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=48)
    client.force_login(engineer)
    answer = client.post(
        reverse("training:launch"), {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "defect_settings": TINY}
    )
    assert answer.status_code == 302, [line for line in answer.content.decode().splitlines() if "error" in line]
    run = TrainingRun.objects.get()
    config = from_json({**run.config, "model_type": run.model_type})
    folder = prepare(run.model_type, config, snapshot_from_run_json(run.dataset_snapshot), datasets)
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.PAUSED)
    return run, folder


def test_a_prepared_set_no_run_has_used_for_weeks_is_deleted(datasets) -> None:  # type: ignore[no-untyped-def]
    """Every run prepared its crops (or the detector's pictures) under DATASETS_DIR and nothing ever deleted them: a
    factory training weekly on a growing library kept a copy of every picture for every run, until the disk was full."""
    from training.jobs import expire_datasets

    old, recent = a_prepared_set(datasets, "defect-0123456789abcdef-m0.15"), a_prepared_set(datasets, "view-fedcba9876543210-m0.1")
    aged(old, 20)
    aged(recent, 3)
    assert expire_datasets() == ["defect-0123456789abcdef-m0.15"]
    assert prepared_folders(datasets) == ["view-fedcba9876543210-m0.1"]
    assert not (datasets / "defect-0123456789abcdef-m0.15.lock").exists()
    assert expire_datasets() == []  # twice is harmless


def test_the_data_set_of_a_paused_run_is_kept_however_old(paused_run, datasets) -> None:  # type: ignore[no-untyped-def]
    """A paused run resumes with its data set (its frozen snapshot may list pictures deleted since)."""
    from training.jobs import expire_datasets

    run, folder = paused_run
    aged(folder, 60)
    assert expire_datasets() == []
    assert folder.is_dir() and (folder / "info.json").is_file()
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED)
    assert expire_datasets() == [folder.name]
    assert not folder.exists()


def test_a_data_set_a_run_reused_recently_is_kept(paused_run, datasets) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import from_json
    from core.training.runner import prepare
    from training.jobs import expire_datasets
    from training.snapshot import snapshot_from_run_json

    run, folder = paused_run
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    aged(folder, 60)
    config = from_json({**run.config, "model_type": run.model_type})
    assert prepare(run.model_type, config, snapshot_from_run_json(run.dataset_snapshot), datasets) == folder  # reused
    assert expire_datasets() == []
    assert folder.is_dir()


def test_the_fold_data_sets_of_a_paused_cross_validation_are_kept(cross_validation, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    """Paused in its final model, a cross-validation needs the final model's set; a later resume of a fold its own."""
    import core.training.runner
    from training.jobs import expire_datasets

    trainer_that(monkeypatch, "never", lambda: None)
    real_prepare = core.training.runner.prepare

    def train(model_type, config, snapshot, folder, sink, datasets_dir=None, **kwargs):  # type: ignore[no-untyped-def]
        real_prepare(model_type, config, snapshot, datasets_dir)
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.name.startswith("fold-"):
            raise StopRequested("pause", 1)
        return types.SimpleNamespace(best_checkpoint=folder / "best.pt", last_checkpoint=folder / "last.pt")

    monkeypatch.setattr(core.training.runner, "train", train)
    run = cross_validation
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    datasets = settings.DATASETS_DIR
    settings.DATASET_EXPIRE_DAYS = 14
    prepared = prepared_folders(datasets)
    assert len(prepared) == 6  # five folds and the final model
    for name in prepared:
        aged(datasets / name, 30)
    assert expire_datasets() == []
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.CANCELLED)
    assert sorted(expire_datasets()) == prepared


def test_a_link_in_the_data_sets_folder_is_not_followed(datasets, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from training.jobs import expire_datasets

    outside = tmp_path / "pictures"
    outside.mkdir()
    (outside / "keep.png").write_bytes(b"\x89PNG original")
    (datasets / "detection-0123456789abcdef").symlink_to(outside, target_is_directory=True)
    aged(outside, 90)
    aged(datasets / "detection-0123456789abcdef", 90)
    # A prepared detector set links the library's pictures: deleting the set leaves them alone.
    detector = a_prepared_set(datasets, "detection-fedcba9876543210")
    (detector / "images" / "train").mkdir(parents=True)
    (detector / "images" / "train" / "w1_TOP.png").symlink_to(outside / "keep.png")
    aged(detector, 90)
    assert expire_datasets() == ["detection-fedcba9876543210"]
    assert (outside / "keep.png").read_bytes() == b"\x89PNG original"
    assert (datasets / "detection-0123456789abcdef").is_symlink()


def test_a_data_set_being_prepared_is_left_alone(datasets) -> None:  # type: ignore[no-untyped-def]
    """Another worker holds the set's lock (it is checking or building it to train on): the cleanup leaves it."""
    from training.jobs import expire_datasets

    folder = a_prepared_set(datasets, "defect-0123456789abcdef-m0.15")
    aged(folder, 20)
    with open(datasets / f"{folder.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert expire_datasets() == []
    assert folder.is_dir()


def test_the_data_sets_are_expired_by_a_schedule_on_the_quick_queue(db) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func="training.jobs.expire_datasets")
    assert schedule.cluster == settings.QUICK_QUEUE and schedule.repeats == -1


def test_a_builder_that_waited_while_the_cleanup_deleted_the_set_locks_the_new_lock_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The cleanup deletes a set's lock file with the set: a builder that was waiting on the old file must not build under
    it, or a second builder, locking the new file, would empty the folder the first one is writing."""
    import threading

    from core.data.prepare import _only_one_builder

    folder = tmp_path / "defect-0123456789abcdef-m0.15"
    lock = tmp_path / f"{folder.name}.lock"
    seen: list[bool] = []

    def build() -> None:
        with _only_one_builder(folder):
            seen.append(lock.is_file())

    with open(lock, "a") as handle:  # the cleanup, holding the lock
        fcntl.flock(handle, fcntl.LOCK_EX)
        builder = threading.Thread(target=build)
        builder.start()
        time.sleep(0.3)  # the builder opened the old lock file and waits on it
        lock.unlink()
    builder.join(timeout=10)
    assert seen == [True]
