"""A detection run that had finished all its epochs when it was stopped can be resumed.

The training finished, then the run stopped before the app registered its model: the disk filled while the
evaluation report or the registry's copy was written (the run becomes *interrupted*: "Free disk space, then resume
the run"), or the worker was killed after the last epoch. Ultralytics refuses to resume a finished training
("training to N epochs is finished, nothing to resume"), so the resume failed and the trained detector was lost.
"""

from __future__ import annotations

import pytest

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.training.config import load_config
from core.training.events import RecordingSink
from core.training.runner import train

pytestmark = pytest.mark.slow


def test_a_detection_run_stopped_after_its_last_epoch_resumes_to_its_result(tmp_path) -> None:  # type: ignore[no-untyped-def]
    samples = synthetic.generate(tmp_path / "pictures", {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=160)
    snapshot = split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)
    config = load_config("detection", overrides={"epochs": 1, "imgsz": 128, "batch": 4, "mosaic": 0.0, "device": "cpu", "plots": False})
    run = tmp_path / "run"
    first = train("detection", config, snapshot, run, RecordingSink(), datasets_dir=tmp_path / "datasets", data_dir=tmp_path)

    sink = RecordingSink()
    again = train("detection", config, snapshot, run, sink, resume=True, datasets_dir=tmp_path / "datasets", data_dir=tmp_path)

    assert again.best_checkpoint == first.best_checkpoint and again.best_checkpoint.is_file()
    assert again.metrics["mAP50"] == pytest.approx(first.metrics["mAP50"], abs=1e-6)
    assert again.epochs_run == 1
    assert not sink.epochs  # nothing trained again
    assert any("had finished" in message for _, message in sink.logs), sink.logs
    assert (run / "yolo" / "validated-again").is_dir()  # inside the run's folder, not Ultralytics' runs/ in the working folder
