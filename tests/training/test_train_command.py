"""``manage.py train``: a real run on synthetic pictures in the database, stored like a worker's run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from annotations.choices import Source
from annotations.ingest import ingest_image
from annotations.models import Annotation
from core.data import synthetic
from registry.models import ModelVersion
from training.models import EpochMetric, RunStatus, TrainingRun


def annotate_synthetic(folder: Path) -> None:
    for sample in synthetic.generate(folder, {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=128):
        with transaction.atomic():
            image = ingest_image(Path(sample.path).read_bytes(), sample.filename, wire_group="cmd").image
            x, y, width, height = sample.box
            Annotation.objects.create(
                image=image, x=x, y=y, width=width, height=height, view=sample.view, defect=sample.defect, source=Source.HUMAN
            )


SMALL = {
    "view": ["--set", "image_size=32", "--set", "batch=8", "--set", "device=cpu"],
    "defect": ["--set", "image_size=32", "--set", "batch=8", "--set", "device=cpu", "--set", "pass_oversample=1"],
    "detection": ["--set", "imgsz=64", "--set", "batch=4", "--set", "device=cpu", "--set", "mosaic=0", "--set", "close_mosaic=0"],
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model_type", ["view", "defect", "detection"])
def test_train_command_trains_stores_and_registers(model_type, tmp_path, capsys):
    annotate_synthetic(tmp_path / "synthetic")
    call_command("train", model_type, "--preset", "cpu-quick", "--epochs", "2", *SMALL[model_type])

    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.config["epochs"] == 2 and run.config["preset"] == "cpu-quick"
    assert run.device.startswith("cpu") and Path(run.checkpoint_path).exists()
    assert run.dataset_snapshot["train"] and run.dataset_snapshot["val"]
    assert EpochMetric.objects.filter(run=run).count() == 2
    assert ModelVersion.objects.filter(training_run=run).exists()
    out = capsys.readouterr().out
    assert "succeeded" in out
    report = Path(out.split("Report: ")[1].splitlines()[0])
    assert json.loads(report.read_text())["model_type"] == model_type
    # The run's TensorBoard log holds a scalar per epoch, read back with TensorBoard's own reader.
    logs = [p.parent for p in run.folder.rglob("events.out.tfevents.*")]
    assert logs, "no TensorBoard event file beside the run"
    steps = set()
    for folder in set(logs):
        accumulator = EventAccumulator(str(folder))
        accumulator.Reload()
        steps |= {event.step for tag in accumulator.Tags()["scalars"] for event in accumulator.Scalars(tag)}
    assert {1, 2} <= steps


@pytest.mark.django_db
def test_bad_setting_is_a_sentence_not_a_traceback():
    with pytest.raises(CommandError, match="Unknown setting 'lossy' for the defect model"):
        call_command("train", "defect", "--set", "lossy=focal")
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("model_type", ["detection", "view", "defect"])
def test_an_empty_library_is_explained_before_any_training(model_type):
    # The detector once went on with 0 + 0 pictures and failed inside Ultralytics.
    with pytest.raises(CommandError, match="no annotated pictures to train on"):
        call_command("train", model_type)
