"""End-to-end YOLOv8n training on tiny synthetic data (CPU, imgsz 128)."""

from __future__ import annotations

import hashlib
import json

import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.training.config import load_config
from core.training.detection import recorded_epoch
from core.training.events import RecordingSink, StopRequested
from core.training.runner import train
from core.training.startweights import DETECTION_COPY, StartingWeights, WeightsRefused

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    samples = synthetic.generate(folder, {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=256)
    return split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)


def config(**values):
    return load_config("detection", overrides={"epochs": 2, "imgsz": 128, "batch": 4, "mosaic": 0.0, "plots": False, **values})


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
    assert not list((tmp_path / "yolo").glob("*.png"))  # plots: false (the tests' setting) draws none


def test_ultralytics_plots_are_drawn_by_default(snapshot, tmp_path):
    assert load_config("detection").plots and load_config("detection", "cpu-quick").plots
    train("detection", config(epochs=1, plots=True), snapshot, tmp_path, RecordingSink())
    assert (tmp_path / "yolo" / "results.png").is_file()


def test_stop_within_one_batch_leaves_last_pt_resumable(snapshot, tmp_path):
    # 8 training pictures in batches of 4: 2 batches per epoch; stop in the second batch of epoch 2.
    stopping = RecordingSink(stop_after_batches=3)
    with pytest.raises(StopRequested) as stopped:
        train("detection", config(), snapshot, tmp_path, stopping)
    assert stopped.value.epoch == 2
    assert [e.epoch for e in stopping.epochs] == [1]

    resumed = RecordingSink()
    result = train("detection", config(), snapshot, tmp_path, resumed, resume=True)
    # Epoch 1 comes again, marked replayed (a sink that kept it ignores it), then epoch 2 is trained.
    assert [(e.epoch, e.replayed) for e in resumed.epochs] == [(1, True), (2, False)]
    assert result.best_checkpoint.exists()


class DiesRecording(RecordingSink):
    """A worker killed while it records epoch ``epoch`` (the exception stands in for the kill)."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.dies_at = epoch

    def on_epoch(self, event):
        super().on_epoch(event)
        if event.epoch == self.dies_at:
            raise SystemExit("killed")


def test_a_resume_replays_the_epoch_a_killed_worker_may_not_have_recorded(snapshot, tmp_path):
    # Ultralytics writes last.pt before the epoch-end callback: a kill between them loses the record.
    dying = DiesRecording(epoch=2)
    with pytest.raises(SystemExit):
        train("detection", config(epochs=3), snapshot, tmp_path, dying)
    resumed = RecordingSink()
    train("detection", config(epochs=3), snapshot, tmp_path, resumed, resume=True)
    assert [(e.epoch, e.replayed) for e in resumed.epochs] == [(2, True), (3, False)]
    replayed, seen = resumed.epochs[0], dying.epochs[-1]
    assert replayed.metrics.keys() == seen.metrics.keys()
    assert replayed.metrics == pytest.approx(seen.metrics, rel=1e-5)  # results.csv keeps 6 digits
    assert replayed.learning_rate == pytest.approx(seen.learning_rate, rel=1e-5) and replayed.seconds > 0


def test_recorded_epoch_takes_the_last_row_of_that_epoch(tmp_path):
    results = tmp_path / "results.csv"
    results.write_text(
        "epoch,time,train/box_loss,metrics/mAP50(B),lr/pg0\n1,10.5,3.0,0.1,0.001\n2,21.0,2.5,0.2,0.002\n2,30.0,2.4,0.3,0.003\n"
    )
    event = recorded_epoch(results, 2, 5)
    assert event is not None and event.replayed and (event.epoch, event.epochs) == (2, 5)
    assert event.metrics == {"train/box_loss": 2.4, "val/mAP50": 0.3}
    assert event.learning_rate == 0.003 and event.seconds == pytest.approx(19.5)
    assert recorded_epoch(results, 3, 5) is None and recorded_epoch(tmp_path / "none.csv", 1, 5) is None


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
    started = torch.load(tmp_path / "second" / DETECTION_COPY, map_location="cpu", weights_only=False)["model"].state_dict()
    trained = torch.load(first.best_checkpoint, map_location="cpu", weights_only=False)["model"].float().state_dict()
    assert set(started) == set(trained) and all(torch.equal(started[name], trained[name]) for name in trained)
    taken = f"Started from best (version:1): its checksum matched the store's, and {len(trained)} of the {len(trained)} tensors"
    assert any(level == "info" and message.startswith(taken) for level, message in sink.logs)


def test_a_starting_file_whose_network_carries_code_starts_a_clean_network(snapshot, tmp_path):
    """Only the tensors of a starting file reach Ultralytics: its network's yaml (which Ultralytics evaluates) is ours."""
    from core.offline import import_yolo

    marker = tmp_path / "code-ran"
    network = import_yolo()("yolov8n.yaml").model
    network.yaml["activation"] = f"(__import__('pathlib').Path({str(marker)!r}).touch(), nn.SiLU())[1]"
    network.yaml["backbone"][0][2] = "torch_safe_load"  # a function of Ultralytics' tasks module named as a layer
    path = tmp_path / "store" / "best.pt"
    path.parent.mkdir()
    torch.save({"epoch": -1, "model": network, "ema": None, "train_args": {}}, path)
    weights = StartingWeights("upload:1", path, hashlib.sha256(path.read_bytes()).hexdigest(), "best.pt")
    result = train("detection", config(epochs=1, weights="upload:1"), snapshot, tmp_path / "run", RecordingSink(), starting_weights=weights)
    assert result.best_checkpoint.exists() and not marker.exists()
    started = torch.load(tmp_path / "run" / DETECTION_COPY, map_location="cpu", weights_only=False)["model"]
    assert "activation" not in started.yaml and started.yaml["backbone"][0][2] == "Conv"


def test_a_starting_file_of_another_architecture_is_refused_with_a_sentence(snapshot, tmp_path):
    from core.offline import import_yolo

    path = tmp_path / "store" / "best.pt"
    path.parent.mkdir()
    torch.save({"epoch": -1, "model": import_yolo()("yolov8s.yaml").model, "ema": None}, path)
    weights = StartingWeights("upload:1", path, hashlib.sha256(path.read_bytes()).hexdigest(), "best.pt")
    with pytest.raises(
        WeightsRefused, match=r"fit only \d+ of the \d+ tensors of yolov8n.yaml: they were trained for another architecture"
    ):
        train("detection", config(epochs=1, weights="upload:1"), snapshot, tmp_path / "run", RecordingSink(), starting_weights=weights)
