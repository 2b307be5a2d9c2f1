"""A cross-validation whose final model fails says so, and that the folds' out-of-fold table is kept."""

from __future__ import annotations

import pytest

from core.training.events import StopRequested
from tests.training import test_probe_lf
from tests.training.test_probe_lf import errors_of, trainer_that
from training import tasks
from training.models import RunStatus, TrainingRun
from training.sink import DatabaseSink

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
