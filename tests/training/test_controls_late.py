"""Controls that come too late: a cancel during the final registration, a resume after the run folder is gone. Both are said."""

from __future__ import annotations

import shutil

import pytest

from registry.models import ModelVersion
from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus, TrainingRun
from training.signals import run_succeeded
from training.tasks import run_training


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    settings.MODELS_DIR = tmp_path / "models"


def _log(run: TrainingRun) -> list[str]:
    return list(run.log_lines.order_by("id").values_list("message", flat=True))


def test_a_cancel_during_the_final_registration_is_not_silently_dropped(queue_view_run, engineer):  # noqa: F811
    run = queue_view_run()

    def click_cancel(sender, run, result, **kwargs):  # type: ignore[no-untyped-def]
        # The engineer presses Cancel while the worker registers the model (the last seconds of the run).
        TrainingRun.objects.get(pk=run.pk).request_cancel(engineer)
        return ""

    run_succeeded.connect(click_cancel, dispatch_uid="probe6-cancel-during-registration")
    try:
        run_training(run.pk)
    finally:
        run_succeeded.disconnect(dispatch_uid="probe6-cancel-during-registration")
    run.refresh_from_db()
    log = _log(run)
    assert any("Cancel requested" in line for line in log), log  # the page told the engineer it would stop
    assert run.status == RunStatus.SUCCEEDED and ModelVersion.objects.filter(training_run=run).count() == 1
    assert log[-1] == (
        "The cancel came after training had finished, so the run ends as succeeded and its model is registered; "
        "delete that version on the registry page if it is not wanted."
    )


def test_resume_after_the_run_folder_was_deleted_says_it_starts_over(queue_view_run, engineer, settings):  # noqa: F811
    run = queue_view_run(epochs=3)
    # A worker died after two epochs: the run is interrupted with its checkpoint on disk.
    from training.sink import DatabaseSink

    real = DatabaseSink.on_epoch

    def die_after_two(self, event):  # type: ignore[no-untyped-def]
        real(self, event)
        if event.epoch == 2:
            TrainingRun.objects.filter(pk=self.run_id).update(status=RunStatus.INTERRUPTED, worker="", lease_expires_at=None)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseSink, "on_epoch", die_after_two)
        run_training(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED
    assert list(run.folder.rglob("last.pt")), "expected the checkpoint of epoch 2"
    shutil.rmtree(run.folder)  # the run folder went (cleanup, a restore without runs/)

    run.request_resume(engineer)
    run_training(run.pk)
    run.refresh_from_db()
    log = _log(run)
    assert run.status == RunStatus.SUCCEEDED, log
    assert f"The run's checkpoint is missing from runs/{run.folder.name}, so training starts again from epoch 1." in log
