"""End-to-end YOLOv8n training on tiny synthetic data (CPU, imgsz 128)."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.training.config import load_config
from core.training.events import RecordingSink, StopRequested
from core.training.runner import train
from core.training.startweights import DETECTION_COPY, StartingWeights

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    samples = synthetic.generate(folder, {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=256)
    return split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)


def config(**values):
    return load_config("detection", overrides={"epochs": 2, "imgsz": 128, "batch": 4, "mosaic": 0.0, **values})


def test_detection_trains_reports_and_logs(snapshot, tmp_path):
    sink = RecordingSink()
    result = train("detection", config(), snapshot, tmp_path, sink)

    assert [e.epoch for e in sink.epochs] == [1, 2]
    expected = {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/mAP50", "val/mAP50-95", "val/precision"}
    assert expected <= set(sink.epochs[0].metrics)
    assert sink.epochs[0].learning_rate is not None and sink.progress
    assert result.best_checkpoint.exists() and result.last_checkpoint.exists()
    assert {"mAP50", "mAP50-95", "precision", "recall"} <= set(result.metrics)
    accumulator = EventAccumulator(str(tmp_path / "tensorboard"))
    accumulator.Reload()
    assert [e.step for e in accumulator.Scalars("val/mAP50")] == [1, 2]
    assert [e.step for e in accumulator.Scalars("train/box_loss")] == [1, 2]
    report = json.loads(result.report_path.read_text())
    assert report["model_type"] == "detection" and "val/mAP50" in report["metrics"]


def test_stop_within_one_batch_leaves_last_pt_resumable(snapshot, tmp_path):
    # 8 training pictures in batches of 4: 2 batches per epoch; stop in the second batch of epoch 2.
    stopping = RecordingSink(stop_after_batches=3)
    with pytest.raises(StopRequested) as stopped:
        train("detection", config(), snapshot, tmp_path, stopping)
    assert stopped.value.epoch == 2
    assert [e.epoch for e in stopping.epochs] == [1]

    resumed = RecordingSink()
    result = train("detection", config(), snapshot, tmp_path, resumed, resume=True)
    assert [e.epoch for e in resumed.epochs] == [2]
    assert result.best_checkpoint.exists()


def test_ultralytics_trains_with_our_xray_augmentations(snapshot, tmp_path):
    result = train("detection", config(), snapshot, tmp_path, RecordingSink())
    assert result.best_checkpoint.exists()
    # Ultralytics records the arguments it trained with (the final checkpoint keeps only its defaults).
    trained_with = yaml.safe_load((tmp_path / "yolo" / "args.yaml").read_text())
    names = {transform["transform"]["__class_fullname__"] for transform in trained_with["augmentations"]}
    assert {"RandomBrightnessContrast", "RandomGamma", "GaussianBlur", "GaussNoise"} <= names

    without = train("detection", config(albumentations=False), snapshot, tmp_path / "off", RecordingSink())
    assert without.best_checkpoint.exists()
    assert "augmentations" not in yaml.safe_load((tmp_path / "off" / "yolo" / "args.yaml").read_text())


def test_detection_starts_from_store_weights_through_a_verified_copy(snapshot, tmp_path):
    first = train("detection", config(epochs=1), snapshot, tmp_path / "first", RecordingSink())
    weights = StartingWeights("version:1", first.best_checkpoint, hashlib.sha256(first.best_checkpoint.read_bytes()).hexdigest(), "best")
    sink = RecordingSink()
    result = train("detection", config(epochs=1, weights="version:1"), snapshot, tmp_path / "second", sink, starting_weights=weights)
    assert result.best_checkpoint.exists()
    copy = tmp_path / "second" / DETECTION_COPY
    assert copy.read_bytes() == first.best_checkpoint.read_bytes()
    assert ("info", "Started from best (version:1); its checksum matched the store's.") in sink.logs
