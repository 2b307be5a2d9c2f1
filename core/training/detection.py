"""The YOLOv8n wire detector, trained with Ultralytics and reported through our sink.

The network is built from ``yolov8n.yaml`` (random weights) or from starting
weights of the app's store, loaded from a checksum-verified copy in the run's
folder (``startweights``): ``YOLO(path)`` unpickles, so it never opens a path
it was merely told about, and ``YOLO("yolov8n.pt")`` would download. ``configure_offline`` and
``install_fonts`` must have run before Ultralytics is imported.

A stop request raises ``StopRequested`` from the batch callback: setting
``trainer.stop`` would end cleanly but strips ``last.pt`` of its optimiser, and
resuming then fails (MACHINE-NOTES). Raising leaves ``last.pt`` of the last
finished epoch resumable with ``resume=True``.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml

from core.data.augment import ultralytics_augmentations
from core.offline import import_yolo
from core.training.config import DETECTION_ARCHITECTURES, DetectionConfig
from core.training.device import memory_snapshot
from core.training.events import EpochEvent, ProgressEvent, StopRequested, TrainingSink
from core.training.startweights import (
    DETECTION_COPY,
    StartingWeights,
    WeightsRefused,
    check_matches,
    detector_tensors,
    own_file,
    verified_copy,
)

PROGRESS_SECONDS = 1.0

#: Ultralytics metric names -> our TensorBoard/event tags.
_METRIC_TAGS = {
    "metrics/precision(B)": "val/precision",
    "metrics/recall(B)": "val/recall",
    "metrics/mAP50(B)": "val/mAP50",
    "metrics/mAP50-95(B)": "val/mAP50-95",
    "val/box_loss": "val/box_loss",
    "val/cls_loss": "val/cls_loss",
    "val/dfl_loss": "val/dfl_loss",
}


@dataclass(frozen=True)
class DetectionResult:
    best_checkpoint: Path
    last_checkpoint: Path
    save_dir: Path
    metrics: dict[str, float]  # of best.pt on the validation pictures
    epochs_run: int


def epoch_metrics(trainer: Any) -> dict[str, float]:
    """Training losses, validation losses and box metrics of the epoch that just ended."""
    metrics = {k: float(v) for k, v in trainer.label_loss_items(trainer.tloss, prefix="train").items()}
    for name, value in (trainer.metrics or {}).items():
        if name in _METRIC_TAGS:
            metrics[_METRIC_TAGS[name]] = float(value)
    return metrics


def recorded_epoch(results_csv: Path, epoch: int, epochs: int) -> EpochEvent | None:
    """Epoch ``epoch`` (from 1) as Ultralytics wrote it to ``results.csv``, as a replayed event.

    The row is written before ``last.pt``, so the epoch a resume starts after is always there;
    the last row of that number wins (an epoch redone after an earlier kill has two).
    """
    if not results_csv.is_file():
        return None
    with results_csv.open(newline="", encoding="utf-8") as handle:
        rows = [{key.strip(): value.strip() for key, value in row.items() if key} for row in csv.DictReader(handle)]
    numbered = [(int(float(row["epoch"])), row) for row in rows if row.get("epoch")]
    mine = [row for number, row in numbered if number == epoch]
    if not mine:
        return None
    row = mine[-1]
    before = [float(r["time"]) for number, r in numbered if number == epoch - 1 and r.get("time")]
    metrics = {key: float(value) for key, value in row.items() if key.startswith("train/") and value}
    metrics.update({tag: float(row[name]) for name, tag in _METRIC_TAGS.items() if row.get(name)})
    learning_rate = float(row["lr/pg0"]) if row.get("lr/pg0") else None
    seconds = float(row["time"]) - (before[-1] if before else 0.0) if row.get("time") else 0.0
    return EpochEvent(epoch, epochs, metrics, learning_rate, seconds, replayed=True)


class SinkCallbacks:
    """Ultralytics callbacks that turn the trainer's state into our events."""

    def __init__(self, sink: TrainingSink, device: torch.device) -> None:
        self.sink = sink
        self.device = device
        self.reported: set[int] = set()
        self.epoch_started = time.monotonic()
        self.run_started = time.monotonic()
        self.first_epoch: int | None = None
        self.last_progress = 0.0
        self.batch = 0

    def on_train_epoch_start(self, trainer: Any) -> None:
        self.epoch_started = time.monotonic()
        self.batch = 0
        if self.first_epoch is None:
            self.first_epoch = trainer.epoch
            if trainer.epoch > 0:  # resumed: Ultralytics saves last.pt before its epoch-end callback
                replay = recorded_epoch(Path(trainer.save_dir) / "results.csv", trainer.epoch, trainer.epochs)
                if replay is not None:
                    self.sink.on_epoch(replay)

    def on_train_batch_end(self, trainer: Any) -> None:
        self.batch += 1
        kind = self.sink.stop_requested()
        if kind is not None:
            raise StopRequested(kind, trainer.epoch + 1)
        now = time.monotonic()
        batches = len(trainer.train_loader)
        if now - self.last_progress >= PROGRESS_SECONDS or self.batch == batches:
            self.last_progress = now
            self.sink.on_progress(ProgressEvent(trainer.epoch + 1, trainer.epochs, self.batch, batches, now - self.epoch_started))

    def on_fit_epoch_end(self, trainer: Any) -> None:
        epoch = trainer.epoch + 1
        # The final validation of best.pt fires this once more with epoch == epochs + 1: not an epoch.
        if epoch in self.reported or epoch > trainer.epochs:
            return
        self.reported.add(epoch)
        lr = next(iter(trainer.lr.values()), None) if getattr(trainer, "lr", None) else None
        done = epoch - (self.first_epoch or 0)
        eta = (time.monotonic() - self.run_started) / max(done, 1) * (trainer.epochs - epoch)
        seconds = time.monotonic() - self.epoch_started
        self.sink.on_epoch(EpochEvent(epoch, trainer.epochs, epoch_metrics(trainer), lr, seconds, eta, memory_snapshot(self.device)))

    def attach(self, model: Any) -> None:
        for name in ("on_train_epoch_start", "on_train_batch_end", "on_fit_epoch_end"):
            model.add_callback(name, getattr(self, name))


def use_amp(device: torch.device) -> bool:
    """AMP only on CUDA, and only when Ultralytics' checker model is on disk (it would download it)."""
    if device.type != "cuda":
        return False
    from ultralytics.utils import WEIGHTS_DIR

    return (WEIGHTS_DIR / "yolo26n.pt").is_file()


def yolo_train_args(config: DetectionConfig, data_yaml: Path, out_dir: Path, device: torch.device) -> dict[str, Any]:
    """The arguments of ``YOLO.train`` for a fresh run into ``out_dir/yolo``."""
    args: dict[str, Any] = {
        "data": str(data_yaml),
        "epochs": config.epochs,
        "imgsz": config.imgsz,
        "batch": config.batch,
        "patience": config.patience or 10**9,
        "lr0": config.lr0,
        "optimizer": config.optimizer,
        "mosaic": config.mosaic,
        "close_mosaic": config.close_mosaic,
        "fliplr": config.fliplr,
        "seed": config.seed,
        "deterministic": False,
        "workers": config.workers,
        "device": "cpu" if device.type == "cpu" else str(device.index or 0),
        "amp": use_amp(device),
        "pretrained": bool(config.weights),
        "project": str(out_dir),
        "name": "yolo",
        "exist_ok": True,
        "verbose": False,
        "plots": config.plots,
    }
    if config.albumentations:
        args["augmentations"] = ultralytics_augmentations()
    return args


#: A starting file must fill at least this share of the network's tensors, or it was made for another architecture.
STARTING_FIT_SHARE = 0.5


def starting_network(architecture: str, data_yaml: Path, weights: StartingWeights, out_dir: Path, sink: TrainingSink) -> Path:
    """The network Ultralytics starts from: ``architecture`` built here, filled with the starting file's tensors.

    Nothing of the uploaded file but its tensors reaches Ultralytics (its network object, ``yaml``
    included, could run code there); the file written in the run folder holds a network made from
    one of our architecture files. Tensors whose name or shape does not fit (another number of
    classes: the head) keep their fresh values, as when Ultralytics fine-tunes.
    """
    label = f"The starting weights {weights.label} ({weights.reference})"
    tensors = detector_tensors(verified_copy(weights, out_dir), label)
    from ultralytics.nn.tasks import DetectionModel  # Ultralytics is imported (import_yolo) by the caller

    classes = len(yaml.safe_load(data_yaml.read_text(encoding="utf-8"))["names"])  # our own dataset file
    network = DetectionModel(architecture, nc=classes, verbose=False)  # type: ignore[no-untyped-call]
    own = network.state_dict()
    fitting = {name: value for name, value in tensors.items() if name in own and own[name].shape == value.shape}
    if len(fitting) < STARTING_FIT_SHARE * len(own):
        raise WeightsRefused(
            f"{label} fit only {len(fitting)} of the {len(own)} tensors of {architecture}: they were trained for another "
            f"architecture. Set 'model' to the one they come from (one of {', '.join(DETECTION_ARCHITECTURES)})."
        )
    network.load_state_dict(fitting, strict=False)
    target = out_dir / DETECTION_COPY
    torch.save({"epoch": -1, "model": network, "ema": None, "optimizer": None, "train_args": {}}, target)
    sink.on_log(
        "info",
        f"Started from {weights.label} ({weights.reference}): its checksum matched the store's, and {len(fitting)} of the "
        f"{len(own)} tensors of {architecture} were taken from it.",
    )
    return target


def train_detection(
    config: DetectionConfig,
    data_yaml: Path,
    out_dir: Path,
    sink: TrainingSink,
    device: torch.device,
    resume: bool = False,
    starting_weights: StartingWeights | None = None,
) -> DetectionResult:
    """Train (or resume) into ``out_dir/yolo``; returns best/last weights and the final metrics.

    ``starting_weights`` is the store file the configuration's ``weights`` names; a resume loads only the run's own ``last.pt``.
    """
    starting_weights = check_matches(starting_weights, config.weights)
    YOLO = import_yolo()
    save_dir = out_dir / "yolo"
    last = save_dir / "weights" / "last.pt"
    device_arg = "cpu" if device.type == "cpu" else str(device.index or 0)
    if resume and last.exists():
        own = own_file(last, out_dir)
        if _finished(own):  # Ultralytics refuses to resume it ("nothing to resume"): its result is on disk
            sink.on_log("info", "The detector had finished training before the run stopped; validating its best checkpoint again.")
            return _validated_again(YOLO, save_dir, own, config, data_yaml, device_arg)
        model = YOLO(str(own))
        # The checkpoint names the folder it was trained in: after a restore at another path (or a renamed parent) that
        # place is gone, and Ultralytics would write the rest of the run there, outside the data folder.
        args: dict[str, Any] = {
            "resume": str(own),
            "batch": config.batch,
            "device": device_arg,
            "data": str(data_yaml),
            "save_dir": str(save_dir),
        }
        sink.on_log("info", f"Resuming detection training from {last}.")
    else:
        if save_dir.exists():
            shutil.rmtree(save_dir)
        if starting_weights is not None:
            model = YOLO(str(starting_network(config.model, data_yaml, starting_weights, out_dir, sink)))
        else:
            model = YOLO(config.model)
        args = yolo_train_args(config, data_yaml, out_dir, device)
    callbacks = SinkCallbacks(sink, device)
    callbacks.attach(model)
    model.train(**args)
    trainer = model.trainer
    metrics = {_METRIC_TAGS[k]: float(v) for k, v in (trainer.metrics or {}).items() if k in _METRIC_TAGS}
    best = Path(trainer.best) if Path(trainer.best).exists() else Path(trainer.last)
    return DetectionResult(
        best_checkpoint=best,
        last_checkpoint=Path(trainer.last),
        save_dir=Path(trainer.save_dir),
        metrics=metrics,
        epochs_run=trainer.epoch + 1,
    )


def _finished(last: Path) -> bool:
    """Whether the run's ``last.pt`` is of a training that ran all its epochs (or stopped early by its patience).

    Ultralytics marks the checkpoint of a finished training with epoch -1 when it strips it; a worker killed between
    the last epoch and that still left the last epoch's number.
    """
    checkpoint = torch.load(last, map_location="cpu", weights_only=False)  # the run's own file (``own_file``)
    epoch = int(checkpoint.get("epoch", -1))
    epochs = int((checkpoint.get("train_args") or {}).get("epochs", 0) or 0)
    return epoch < 0 or epoch + 1 >= epochs


def _validated_again(YOLO: Any, save_dir: Path, last: Path, config: DetectionConfig, data_yaml: Path, device_arg: str) -> DetectionResult:
    """The result of a finished training, its best checkpoint validated once more (its metrics are not kept apart)."""
    best = save_dir / "weights" / "best.pt"
    best = own_file(best, save_dir.parent) if best.exists() else last
    validation = YOLO(str(best)).val(
        data=str(data_yaml),
        imgsz=config.imgsz,
        batch=config.batch,
        device=device_arg,
        workers=config.workers,
        project=str(save_dir),
        name="validated-again",
        exist_ok=True,
        plots=False,
        verbose=False,
    )
    metrics = {_METRIC_TAGS[k]: float(v) for k, v in validation.results_dict.items() if k in _METRIC_TAGS}
    results = save_dir / "results.csv"  # one row per epoch run
    with results.open(newline="", encoding="utf-8") if results.is_file() else open(os.devnull) as handle:
        epochs_run = sum(1 for _ in csv.DictReader(handle))
    return DetectionResult(best_checkpoint=best, last_checkpoint=last, save_dir=save_dir, metrics=metrics, epochs_run=epochs_run)
