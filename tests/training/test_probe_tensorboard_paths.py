"""The embedded TensorBoard names a run's folder relative to the runs folder, never by the server's path."""

from __future__ import annotations

import json

import pytest

from core.training.events import EpochEvent
from core.training.tensorboard import TensorBoardSink
from tests.training.test_tensorboard import cookie_of, get
from training.models import TrainingRun
from training.tensorboard_app import log_dir

pytestmark = pytest.mark.django_db(transaction=True)


def test_tensorboard_shows_the_runs_folder_by_its_name_not_the_servers_path(engineer, settings, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Its page showed the data location /<data folder>/runs/run-<id>/tensorboard (from /data/environment, with every
    flag in its debug part, and /data/logdir): where the server keeps its files, to anyone with the engineer role."""
    settings.RUNS_DIR = tmp_path / "server-secret-place" / "runs"
    monkeypatch.setattr("training.tensorboard_app._apps", {})  # an earlier test's run of the same id is cached
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 1})
    sink = TensorBoardSink(log_dir(run.pk))
    sink.on_epoch(EpochEvent(epoch=1, epochs=1, metrics={"train/loss": 0.5}, learning_rate=0.01))
    sink.close()
    cookie = cookie_of(engineer)
    prefix = f"/tensorboard/{run.pk}"

    environment = get(f"{prefix}/data/environment", cookie)
    logdir = get(f"{prefix}/data/logdir", cookie)
    runs = get(f"{prefix}/data/runs", cookie)

    for answer in (environment, logdir, runs):
        assert answer["status"] == 200
        assert b"server-secret-place" not in answer["body"]
    assert json.loads(environment["body"])["data_location"] == f"run-{run.pk}/tensorboard"
    assert json.loads(logdir["body"])["logdir"] == f"run-{run.pk}/tensorboard"
    # It still reads the run's own event file.
    assert "train/loss" in json.loads(get(f"{prefix}/data/plugin/scalars/tags", cookie)["body"])["."]
