"""Re-probing today's changes to training: the CPU memory guard on a resumed run."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import pytest

from core.training import device
from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus, TrainingRun
from training.tasks import run_training


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


def test_a_resumed_run_refused_for_memory_stays_resumable_and_keeps_its_epochs(queue_view_run, engineer, monkeypatch) -> None:  # noqa: F811
    # A paused run with finished epochs (its checkpoint on disk) is resumed while the worker's free memory is
    # low for a moment (an inspection beside it, another program): the guard must not throw its epochs away.
    run = queue_view_run()
    checkpoint = TrainingRun.folder_of(run.pk) / "weights" / "last.pt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"epoch 7 of 10")
    TrainingRun.objects.filter(pk=run.pk).update(status=RunStatus.PAUSED)
    run.refresh_from_db()
    run.request_resume(engineer)
    Memory = namedtuple("Memory", "available")
    monkeypatch.setattr(device.psutil, "virtual_memory", lambda: Memory(available=2**20))
    with pytest.raises(device.NotEnoughMemory):
        run_training(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED and run.can_resume, run.error
    assert "Its finished epochs are kept" in run.error and "resume the run" in run.error
    assert Path(checkpoint).read_bytes() == b"epoch 7 of 10"
