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


@pytest.mark.django_db(transaction=True)
def test_an_open_run_page_stops_streaming_once_the_shifts_session_has_expired(engineer) -> None:  # type: ignore[no-untyped-def]
    """A login lasts one shift (WIRESAG_SESSION_HOURS), but a live run page left open on a shared PC went on streaming
    the run's log and metrics after its session had expired: the consumer asked only whether the session row existed."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from tests.training.test_consumers import live_event_after, session_cookie

    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")

    def end_of_shift() -> None:
        Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    leaked = live_event_after(run, session_cookie(engineer), end_of_shift, "epoch 2 of lot 7")
    assert leaked is None, f"an expired session still got the live event {leaked!r}"


def test_a_cross_validation_with_finished_folds_counts_as_resumable_work(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A finished fold keeps its outcome but not its resume checkpoint (core.crossval drops last.pt): a memory refusal
    # in a later fold must still leave the run resumable, as finished epochs do.
    from core.crossval import OUTCOME_FILE
    from training.tasks import _has_finished_work

    assert not _has_finished_work(tmp_path)
    (tmp_path / "fold-1" / "weights").mkdir(parents=True)
    (tmp_path / "fold-1" / "weights" / "best.pt").write_bytes(b"best")
    assert not _has_finished_work(tmp_path)
    (tmp_path / "fold-1" / OUTCOME_FILE).write_text("{}")
    assert _has_finished_work(tmp_path)
    (tmp_path / "fold-1" / OUTCOME_FILE).unlink()
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "last.pt").write_bytes(b"epoch 3")
    assert _has_finished_work(tmp_path)
