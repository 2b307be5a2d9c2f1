"""Re-probing the deletion of unused prepared data sets: a deletion that stops midway."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from tests.training import test_probe_pa
from tests.training.test_probe_pa import a_prepared_set, aged, prepared_folders
from training.models import RunStatus, TrainingRun

datasets = test_probe_pa.datasets
paused_run = test_probe_pa.paused_run


def rmtree_that_stops_midway(monkeypatch: pytest.MonkeyPatch, stops_in: str) -> None:
    """A deletion of the set named ``stops_in`` that deletes its training crops, then fails (a file it may not delete, a
    busy file on a shared folder, or the worker stopped by a restart): what the real one leaves behind when it stops."""
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == stops_in:
            real_rmtree(Path(path) / "train")
            raise PermissionError(errno.EACCES, "Permission denied", str(Path(path) / "val"))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)


def crops(folder: Path, split: str) -> list[str]:
    return sorted(path.name for path in (folder / split).rglob("*.png"))


def test_a_data_set_half_deleted_by_the_cleanup_is_prepared_again_not_reused(paused_run, datasets, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The cleanup deleted the set's crops before its info.json: stopped midway, it left a set that still said it was
    prepared, and the next run on the same data trained on what was left of it (no training crops at all here)."""
    from core.training.config import from_json
    from core.training.runner import prepare
    from training.jobs import expire_datasets
    from training.snapshot import snapshot_from_run_json

    run, folder = paused_run
    training_crops = crops(folder, "train")
    assert training_crops
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.SUCCEEDED)
    aged(folder, 30)
    rmtree_that_stops_midway(monkeypatch, folder.name)
    try:
        expire_datasets()
    except OSError:
        pass
    monkeypatch.undo()
    config = from_json({**run.config, "model_type": run.model_type})
    assert prepare(run.model_type, config, snapshot_from_run_json(run.dataset_snapshot), datasets) == folder
    assert crops(folder, "train") == training_crops


def test_a_data_set_that_cannot_be_deleted_does_not_keep_the_others(datasets, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    """One set the cleanup could not delete ended the hourly job with its error every time: the sets after it (by name)
    were never deleted again, and the disk filled up as before."""
    from training.jobs import expire_datasets

    stuck = a_prepared_set(datasets, "defect-0000000000000000-m0.15")
    (stuck / "val").mkdir()
    names = ["defect-0123456789abcdef-m0.15", "view-fedcba9876543210-m0.1"]
    for folder in [stuck, *(a_prepared_set(datasets, name) for name in names)]:
        aged(folder, 30)
    rmtree_that_stops_midway(monkeypatch, stuck.name)
    assert expire_datasets() == names
    assert prepared_folders(datasets) == [stuck.name]
    assert stuck.name in caplog.text and "Permission denied" in caplog.text
    monkeypatch.undo()
    assert expire_datasets() == [stuck.name]  # tried again at the next hour, once the cause is gone
    assert prepared_folders(datasets) == []


def test_two_runs_that_differ_only_in_wire_framing_do_not_rebuild_each_others_data_set(paused_run, datasets) -> None:  # type: ignore[no-untyped-def]
    """Framed and unframed crops went to one folder: a run comparing ``wire_frame: false`` with a framed run on the same
    data emptied and rewrote the crops the other was training on (two workers), or had its own rewritten under it."""
    import dataclasses
    import json

    from core.training.config import from_json
    from core.training.runner import dataset_folder, prepare
    from training.snapshot import snapshot_from_run_json

    run, framed = paused_run
    config = from_json({**run.config, "model_type": run.model_type})
    assert config.wire_frame
    snapshot = snapshot_from_run_json(run.dataset_snapshot)
    unframed_config = dataclasses.replace(config, wire_frame=False)
    # The unframed run's folder holds framed crops (as one of each left it): they are not reused either.
    target = dataset_folder(run.model_type, unframed_config, snapshot, datasets)
    if target != framed:
        shutil.copytree(framed, target)
    unframed = prepare(run.model_type, unframed_config, snapshot, datasets)
    assert json.loads((framed / "info.json").read_text()).get("framed") is True
    assert unframed != framed and not json.loads((unframed / "info.json").read_text()).get("framed")
