"""End-to-end classifier training on tiny synthetic data (CPU, seconds per run)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.evaluation.metrics import evaluate
from core.inspection.inference import Classifier
from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES
from core.training.config import load_config
from core.training.crops import crop_view
from core.training.events import RecordingSink, StopRequested
from core.training.runner import train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    samples = synthetic.generate(folder, {"PASS": 5, "SWEEP": 5, "WOBBLE": 5, "TOUCH": 5}, image_size=192)
    return split_records(records_from_synthetic(samples), val_fraction=0.3, seed=0)


def scalars(run_dir, tag):
    accumulator = EventAccumulator(str(run_dir / "tensorboard"))
    accumulator.Reload()
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def known(row):
    """A report row without its undefined values (AUC of a class absent from validation)."""
    return {key: value for key, value in row.items() if value is not None}


def test_defect_model_trains_end_to_end(snapshot, tmp_path):
    config = load_config("defect", overrides={"epochs": 2, "image_size": 64, "batch": 8, "pass_oversample": 3})
    sink = RecordingSink()
    result = train("defect", config, snapshot, tmp_path, sink)

    assert [e.epoch for e in sink.epochs] == [1, 2]
    assert {"train/loss", "val/balanced_accuracy", "val/recall/PASS"} <= set(sink.epochs[0].metrics)
    assert sink.epochs[0].memory["rss_mb"] > 0 and sink.progress
    checkpoint = torch.load(result.best_checkpoint, weights_only=True)
    assert checkpoint["classes"] == ["PASS", "SWEEP", "WOBBLE", "TOUCH"] and checkpoint["architecture"] == "efficientnet_b0"
    assert result.last_checkpoint.exists() and "pass_recall" in result.metrics
    assert [step for step, _ in scalars(tmp_path, "val/balanced_accuracy")] == [1, 2]
    assert [step for step, _ in scalars(tmp_path, "train/loss")] == [1, 2]
    accumulator = EventAccumulator(str(tmp_path / "tensorboard"))
    accumulator.Reload()
    assert {"val/confusion_matrix", "val/samples"} <= set(accumulator.Tags()["images"])
    report = json.loads(result.report_path.read_text())
    assert [row["name"] for row in report["evaluation"]["per_class"]] == ["PASS", "SWEEP", "WOBBLE", "TOUCH"]
    assert result.metrics["pass_support"] == report["evaluation"]["per_class"][0]["support"] > 0
    assert (result.report_path.parent / "confusion_matrix.png").exists()
    assert (result.report_path.parent / "report.html").exists()
    assert json.loads((tmp_path / "config.json").read_text())["epochs"] == 2
    # The shape hybrid (default for defect) carries what inference needs to trace crops the same way.
    assert checkpoint["shape"]["version"] == DESCRIPTOR_VERSION and len(checkpoint["shape"]["features"]) == len(FEATURES) + 2
    assert checkpoint["model"]["shape_std"].min() > 0 and (tmp_path / "data").exists()
    # The linear shape classifier travels as plain data and inference mixes it in as training's evaluation did.
    head = checkpoint["shape_head"]
    assert head["weight"] == config.shape_weight and set(head["views"]) == {"TOP", "SIDE"}
    # The stored head was fitted again on training + validation crops; the report's scores are those of the
    # training-only head, kept beside it.
    assert head["fitted_on"] == "train+val" and set(head["validated_head"]["views"]) == {"TOP", "SIDE"}
    assert head["views"] != head["validated_head"]["views"]
    assert any("Fitted the wire-shape classifier again" in message for _, message in sink.logs)
    classifier = Classifier(result.best_checkpoint, torch.device("cpu"), "defect")
    crops = sorted((tmp_path / "data").glob("defect-*/val/*/*.png"))
    pictures = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in crops]
    views = [crop_view(str(p)) for p in crops]
    refit_probabilities = classifier.probabilities(pictures, views)
    classifier.shape_head = head["validated_head"]
    probabilities = classifier.probabilities(pictures, views)
    assert not np.allclose(refit_probabilities, probabilities, atol=1e-4)
    assert probabilities.shape == (len(crops), 4) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # Inference reproduces training's evaluation of the best checkpoint: the same metrics, the same confidences.
    truth = np.array([checkpoint["classes"].index(p.parent.name) for p in crops])
    again = evaluate(truth, probabilities.argmax(axis=1), checkpoint["classes"], probabilities).as_dict()
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "macro_auc"):
        assert again[key] == pytest.approx(report["evaluation"][key], abs=1e-5)
    for ours, trained in zip(again["per_class"], report["evaluation"]["per_class"], strict=True):
        assert known(ours) == pytest.approx(known(trained), abs=1e-5)
    rows = {str(p): row for p, row in zip(crops, probabilities, strict=True)}
    for mistake in report["mistakes"]:
        assert rows[mistake["path"]].max() == pytest.approx(mistake["confidence"], abs=1e-5)
    network_only = Classifier(result.best_checkpoint, torch.device("cpu"), "defect")
    network_only.shape_head = None
    assert not np.allclose(network_only.probabilities(pictures, views), probabilities, atol=1e-3)


def test_defect_hybrid_stops_then_resumes(snapshot, tmp_path):
    config = load_config("defect", overrides={"epochs": 3, "image_size": 48, "batch": 8, "pass_oversample": 1})
    with pytest.raises(StopRequested):
        train("defect", config, snapshot, tmp_path, RecordingSink(stop_after_batches=3))
    resumed = RecordingSink()
    result = train("defect", config, snapshot, tmp_path, resumed, resume=True)
    assert [e.epoch for e in resumed.epochs] == [2, 3]
    assert torch.load(result.last_checkpoint, weights_only=True)["shape"]["version"] == DESCRIPTOR_VERSION


def test_defect_model_without_shape_features_is_a_plain_timm_network(snapshot, tmp_path):
    config = load_config("defect", overrides={"epochs": 1, "image_size": 48, "batch": 8, "shape_features": False})
    result = train("defect", config, snapshot, tmp_path, RecordingSink())
    checkpoint = torch.load(result.best_checkpoint, weights_only=True)
    assert checkpoint["shape"] is None and "shape_mean" not in checkpoint["model"]
    # The linear shape classifier does not need the network's shape branch.
    assert checkpoint["shape_head"]["weight"] == config.shape_weight


def test_focal_loss_with_balanced_sampler_and_early_stopping(snapshot, tmp_path):
    # min_delta 1 means no epoch after the first counts as an improvement.
    config = load_config(
        "defect",
        overrides={"epochs": 6, "image_size": 48, "batch": 8, "loss": "focal", "sampler": "balanced", "patience": 1, "min_delta": 1.0},
    )
    sink = RecordingSink()
    result = train("defect", config, snapshot, tmp_path, sink)
    assert [e.epoch for e in sink.epochs] == [1, 2]
    assert result.epochs_run == 2
    assert any("Early stopping" in message for _, message in sink.logs)


def test_stop_within_one_batch_then_resume_continues(snapshot, tmp_path):
    config = load_config("view", overrides={"epochs": 3, "image_size": 48, "batch": 8})
    # 17 training crops in batches of 8: 2 batches per epoch; stop in the second batch of epoch 2.
    stopping = RecordingSink(stop_after_batches=3)
    with pytest.raises(StopRequested) as stopped:
        train("view", config, snapshot, tmp_path, stopping)
    assert stopped.value.epoch == 2
    assert [e.epoch for e in stopping.epochs] == [1]
    assert torch.load(tmp_path / "weights" / "last.pt", weights_only=True)["epoch"] == 1

    resumed = RecordingSink()
    result = train("view", config, snapshot, tmp_path, resumed, resume=True)
    assert [e.epoch for e in resumed.epochs] == [2, 3]
    # Stopped during epoch 2: the log says the resume starts from epoch 1's checkpoint and trains epoch 2 again.
    assert ("info", "Resumed from the checkpoint of epoch 1 of 3; training epoch 2 from its start.") in resumed.logs
    last = torch.load(result.last_checkpoint, weights_only=True)
    assert last["epoch"] == 3 and [h["epoch"] for h in last["history"]] == [1, 2, 3]
    assert result.metrics["accuracy"] >= 0
    # The resumed run writes more event files beside the first; TensorBoard's reader sees each epoch exactly once.
    assert len(list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))) >= 2
    assert [step for step, _ in scalars(tmp_path, "val/accuracy")] == [1, 2, 3]
    assert [step for step, _ in scalars(tmp_path, "train/loss")] == [1, 2, 3]


class DiesRecording(RecordingSink):
    """A worker killed while it records epoch ``epoch`` (the exception stands in for the kill)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.dies_at = epoch

    def on_epoch(self, event):
        if event.epoch == self.dies_at:
            raise SystemExit("killed")
        super().on_epoch(event)


def test_a_worker_killed_while_recording_an_epoch_trains_it_again_on_resume(snapshot, tmp_path):
    config = load_config("view", overrides={"epochs": 3, "image_size": 48, "batch": 8})
    with pytest.raises(SystemExit):
        train("view", config, snapshot, tmp_path, DiesRecording(epoch=2))
    # last.pt does not claim an epoch whose record was never written...
    assert torch.load(tmp_path / "weights" / "last.pt", weights_only=True)["epoch"] == 1
    resumed = RecordingSink()
    train("view", config, snapshot, tmp_path, resumed, resume=True)
    # ...so the resume trains it again and every epoch reaches the sink.
    assert [e.epoch for e in resumed.epochs] == [2, 3]


def test_per_view_defect_model_learns_from_its_view_only(snapshot, tmp_path):
    config = load_config("defect", overrides={"epochs": 1, "image_size": 48, "batch": 8, "pass_oversample": 1, "view_scope": "TOP"})
    result = train("defect", config, snapshot, tmp_path, RecordingSink())
    crops = sorted((tmp_path / "data").glob("defect-*/*/*/*.png"))
    assert crops and {crop_view(str(p)) for p in crops} == {"TOP"}
    checkpoint = torch.load(result.best_checkpoint, weights_only=True)
    assert checkpoint["config"]["view_scope"] == "TOP"
    # Only the TOP shape discriminant exists: SIDE pictures were never seen.
    assert set(checkpoint["shape_head"]["views"]) == {"TOP"}
    val_total = sum(row["support"] for row in json.loads(result.report_path.read_text())["evaluation"]["per_class"])
    assert val_total == sum(1 for p in crops if p.parts[-3] == "val")


def test_per_view_detection_data_holds_its_view_only(snapshot, tmp_path):
    from core.training.runner import prepare

    config = load_config("detection", overrides={"view_scope": "SIDE"})
    data_yaml = prepare("detection", config, snapshot, tmp_path)
    pictures = sorted(p.name for p in data_yaml.parent.glob("images/*/*"))
    assert pictures and all("_SIDE" in name for name in pictures)
