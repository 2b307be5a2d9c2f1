"""A cross-validation that fails or pauses in a later fold says which fold, and what a resume does with it."""

from __future__ import annotations

import types

import pytest
from django.urls import reverse

from core.training.events import StopRequested
from training import tasks
from training.models import RunLogLine, RunStatus, TrainingRun
from training.sink import DatabaseSink

TINY_DEFECT = "epochs: 2\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"


@pytest.fixture
def cross_validation(db, tmp_path, settings, client, engineer) -> TrainingRun:  # type: ignore[no-untyped-def]
    """A queued five-fold cross-validation of the defect model, two epochs per fold, claimed by worker w1."""
    from tests.live_fixtures import ingest_synthetic

    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    ingest_synthetic(tmp_path / "synthetic", {"PASS": 5, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=48)
    client.force_login(engineer)
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "5", "defect_settings": TINY_DEFECT}
    client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    TrainingRun.objects.claim(run.pk, "w1")
    return run


def trainer_that(monkeypatch, in_fold: str, does) -> None:  # type: ignore[no-untyped-def]
    """No real training: every fold "predicts" PASS, except the one named ``in_fold``, where ``does()`` runs."""
    import core.crossval
    import core.training.runner
    from core.evaluation.outoffold import FoldOutcome

    def train(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        folder.mkdir(parents=True, exist_ok=True)
        if folder.name == in_fold:
            does()
        return types.SimpleNamespace(best_checkpoint=folder / "best.pt", last_checkpoint=folder / "last.pt")

    def predict(checkpoint, model_type, held_out, fold, seed):  # type: ignore[no-untyped-def]
        outcome = FoldOutcome(fold=fold, seed=seed)
        for record in held_out:
            for box in record.boxes:
                outcome.picture_truth.append(box.defect)
                outcome.picture_predicted.append("PASS")
        return outcome

    monkeypatch.setattr(core.training.runner, "train", train)
    monkeypatch.setattr(core.crossval, "predict_held_out", predict)


def errors_of(run: TrainingRun) -> list[str]:
    return list(RunLogLine.objects.filter(run=run, level="ERROR").values_list("message", flat=True))


def test_a_fold_that_fails_names_itself_in_the_runs_error(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Fold 3 of 5 raised: the run page said only "CUDA error: an illegal memory access was encountered", as if the
    whole job (or the final model) had failed, with no word of the two folds that had finished."""

    def crash() -> None:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    trainer_that(monkeypatch, "fold-3", crash)
    run = cross_validation
    with pytest.raises(Exception):  # noqa: B017, PT011 (the task re-raises for django-q's record)
        tasks._train(run, "w1", DatabaseSink(run.pk, "w1"))
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Fold 3 of 5: CUDA error: an illegal memory access was encountered"), run.error
    assert errors_of(run) == [run.error]
    assert "RuntimeError: CUDA error" in run.traceback  # the trainer's own traceback stays


def test_a_fold_short_of_memory_is_interrupted_keeping_the_finished_folds(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.training.device import NotEnoughMemory

    def short() -> None:
        raise NotEnoughMemory("Training needs about 9.0 GB of memory; the worker has 2.0 GB free.")

    trainer_that(monkeypatch, "fold-3", short)
    run = cross_validation
    with pytest.raises(Exception):  # noqa: B017, PT011
        tasks._train(run, "w1", DatabaseSink(run.pk, "w1"))
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED and run.can_resume
    assert run.error.startswith("Fold 3 of 5: Training needs about 9.0 GB"), run.error
    assert "The finished folds (1 to 2) are kept" in run.error, run.error
    assert "resume the run; it continues with fold 3" in run.error, run.error


@pytest.mark.parametrize(
    ("fold", "epoch", "said"),
    [
        (
            "fold-3",
            1,
            "Paused during epoch 5, the first epoch of fold 3 of 5, before its first checkpoint. Resume to train fold 3 of 5 again "
            "from its start; the finished folds are kept.",
        ),
        (
            "fold-3",
            2,
            "Paused during epoch 6, epoch 2 of fold 3 of 5; the batches of that epoch are dropped. Resume to train it again from "
            "the checkpoint of its epoch 1; the finished folds are kept.",
        ),
    ],
)
def test_a_pause_in_a_later_fold_says_what_a_resume_trains_again(cross_validation, monkeypatch, fold, epoch, said) -> None:  # type: ignore[no-untyped-def]
    """Paused in the first epoch of fold 3 (epoch 5 of the job): the log said "Resume to train epoch 5 again from the
    checkpoint of epoch 4", but epoch 4 was fold 2's model; the resume trains fold 3 from its start."""

    def pause() -> None:
        raise StopRequested("pause", epoch)

    trainer_that(monkeypatch, fold, pause)
    run = cross_validation
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    assert said in messages, messages[-3:]


def test_a_pause_in_the_final_model_of_a_cross_validation_says_the_final_model(cross_validation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import core.training.runner

    trainer_that(monkeypatch, "never", lambda: None)
    folds_train = core.training.runner.train

    def train(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        if not folder.name.startswith("fold-"):
            raise StopRequested("pause", 1)
        return folds_train(model_type, config, snapshot, folder, sink, **kwargs)

    monkeypatch.setattr(core.training.runner, "train", train)
    run = cross_validation
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    said = (
        "Paused during epoch 11, the first epoch of the final model, before its first checkpoint. Resume to train the final model "
        "again from its start; the finished folds are kept."
    )
    assert said in messages, messages[-3:]
