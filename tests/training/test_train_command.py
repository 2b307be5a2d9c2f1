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


def annotate_synthetic(folder: Path, wires: int = 2) -> None:
    for sample in synthetic.generate(folder, dict.fromkeys(("PASS", "SWEEP", "WOBBLE", "TOUCH"), wires), image_size=128):
        with transaction.atomic():
            image = ingest_image(Path(sample.path).read_bytes(), sample.filename, wire_group="cmd").image
            x, y, width, height = sample.box
            Annotation.objects.create(
                image=image, x=x, y=y, width=width, height=height, view=sample.view, defect=sample.defect, source=Source.HUMAN
            )


SMALL = {
    "view": ["--set", "image_size=32", "--set", "batch=8", "--set", "device=cpu"],
    "defect": ["--set", "image_size=32", "--set", "batch=8", "--set", "device=cpu", "--set", "pass_oversample=1"],
    "detection": [
        "--set",
        "imgsz=64",
        "--set",
        "batch=4",
        "--set",
        "device=cpu",
        "--set",
        "mosaic=0",
        "--set",
        "close_mosaic=0",
        "--set",
        "plots=false",
    ],
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
    assert run.device.startswith("cpu") and run.checkpoint_file is not None and run.checkpoint_file.exists()
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


@pytest.mark.django_db
def test_folds_are_refused_with_the_launch_forms_sentences(tmp_path):
    annotate_synthetic(tmp_path / "synthetic")  # two wires of each class
    with pytest.raises(CommandError, match="choose the view or the defect model"):
        call_command("train", "detection", "--folds", "3")
    with pytest.raises(CommandError, match="takes 3 to 10 folds, not 2"):
        call_command("train", "defect", "--folds", "2")
    with pytest.raises(CommandError, match="needs at least 3 wires of one class"):
        call_command("train", "defect", "--folds", "3")
    assert not TrainingRun.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_train_command_cross_validates_with_folds_and_prints_the_out_of_fold_table(tmp_path, capsys):
    annotate_synthetic(tmp_path / "synthetic", wires=3)
    call_command(
        "train", "defect", "--preset", "cpu-quick", "--epochs", "1", "--folds", "3", *SMALL["defect"], "--set", "shape_features=false"
    )
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and run.folds == 3, run.error
    # Every wire was held out once; the final model is registered as after a cross-validation on the Training page.
    assert sum(support for _, _, support in run.cross_validation["wire_recall"]) == 12
    assert ModelVersion.objects.get().out_of_fold() == run.cross_validation
    out = capsys.readouterr().out
    assert "cross-validating the defect model's settings in 3 folds" in out
    mean = run.cross_validation["scores"]["wire_bacc"]["mean"]
    assert f"Balanced accuracy per wire (evidence verdict): {mean:.3f}" in out
    line = run.cross_validation["wire_trust"][2]
    assert f"Wire verdicts at confidence 0.6 or above: {line['sure_right']} of {line['sure']} right" in out


@pytest.mark.django_db
def test_the_out_of_fold_printout_shows_a_score_no_fold_had_as_a_dash():
    from io import StringIO

    from training.management.commands.train import Command

    empty = {"mean": None, "seed_std": 0.0, "fold_std": 0.0, "fold_min": float("nan"), "fold_max": float("nan"), "folds": 0}
    run = TrainingRun(model_type="defect", folds=3, cross_validation={"scores": {"wire_bacc_three": empty}})  # as summarise leaves it
    command = Command(stdout=StringIO())
    command.write_out_of_fold(run)
    assert "The same over SWEEP/WOBBLE/TOUCH: – (– to –)" in command.stdout.getvalue()
