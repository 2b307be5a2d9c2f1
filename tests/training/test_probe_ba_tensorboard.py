"""A backup restored without ``runs/``: the TensorBoard frame of a finished run says its files are missing."""

from __future__ import annotations

import pytest

from tests.training.test_tensorboard import cookie_of, get
from training.models import EpochMetric, RunStatus, TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _runs_folder(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"  # restored without runs/: the run's folder is not there


def finished_run(status: str = RunStatus.SUCCEEDED) -> TrainingRun:
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2}, status=status)
    for epoch in (1, 2):
        EpochMetric.objects.create(run=run, epoch=epoch, metrics={"train/loss": 1.0 / epoch})
    return run


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.INTERRUPTED])
def test_the_board_of_a_run_that_trained_but_whose_folder_is_missing_says_so_and_stops_asking(engineer, status) -> None:  # type: ignore[no-untyped-def]
    run = finished_run(status)
    response = get(f"/tensorboard/{run.pk}/", cookie_of(engineer))
    body = response["body"].decode()
    assert response["status"] == 404
    assert "not written TensorBoard data yet" not in body
    assert f"run-{run.pk}" in body and "runs/" in body and "backup" in body, body
    assert b"refresh" not in dict(response["headers"]), "a finished run's files do not come back by waiting"


def test_the_board_of_a_queued_run_still_says_it_appears_once_training_starts(engineer) -> None:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    response = get(f"/tensorboard/{run.pk}/", cookie_of(engineer))
    assert response["body"].decode() == "This run has not written TensorBoard data yet; it appears once training starts."
    assert dict(response["headers"])[b"refresh"] == b"5"
