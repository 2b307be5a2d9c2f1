"""One entry point for every model type: prepare, train, evaluate, report.

``train`` is what the worker, the management command, the benchmarks and the
tests call. Everything a run writes lives under ``run_dir``::

    run_dir/config.json       the exact configuration
    run_dir/tensorboard/      the event file (scalars, figures, hparams)
    run_dir/weights/          best.pt and last.pt (classifiers)
    run_dir/yolo/weights/     best.pt and last.pt (detection, Ultralytics layout)
    run_dir/report/           report.json, report.html and its pictures
    run_dir/result.json       paths, metrics and the device used
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.dataset import ImageRecord, Snapshot
from core.evaluation.contract import ModelMetrics
from core.labels import classifier_task
from core.offline import configure_offline, install_fonts
from core.training.config import AnyConfig, ClassifierConfig, DetectionConfig, to_json
from core.training.device import check_cpu_memory, choose_device, describe_device, run_with_fallbacks
from core.training.events import MultiSink, TrainingSink
from core.training.layout import REPORT_DIR, RESULT_FILE, TENSORBOARD_DIR, WEIGHTS_DIR
from core.training.startweights import StartingWeights, check_matches

if TYPE_CHECKING:
    from core.training.classifier import ClassifierResult
    from core.training.detection import DetectionResult
    from core.training.tensorboard import TensorBoardSink


@dataclass(frozen=True)
class TrainResult:
    best_checkpoint: Path
    last_checkpoint: Path
    metrics: dict[str, Any]  # ModelMetrics.to_json(): scalars plus labels, per_class, confusion_matrix
    report_path: Path
    device: str
    epochs_run: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}


def _scoped(snapshot: Snapshot, view_scope: str) -> Snapshot:
    """Only the pictures of one view, for per-view models."""
    if view_scope == "all":
        return snapshot

    def keep(records: tuple[ImageRecord, ...]) -> tuple[ImageRecord, ...]:
        return tuple(r for r in records if r.picture_view == view_scope)

    return dataclasses.replace(snapshot, train=keep(snapshot.train), val=keep(snapshot.val))


def dataset_folder(model_type: str, config: AnyConfig, snapshot: Snapshot, datasets_dir: Path) -> Path:
    """The folder under ``datasets_dir`` that :func:`prepare` prepares (or reuses) for this snapshot and these settings."""
    snapshot = _scoped(snapshot, getattr(config, "view_scope", "all"))
    if isinstance(config, DetectionConfig):
        return datasets_dir / f"detection-{snapshot.fingerprint()[:16]}"
    whole = "-whole" if config.whole_image else ""
    framed = "-framed" if model_type == "defect" and config.wire_frame else ""  # two runs comparing it need both sets
    return datasets_dir / f"{model_type}-{snapshot.fingerprint()[:16]}-m{config.margin:g}{whole}{framed}"


def prepare(model_type: str, config: AnyConfig, data: Snapshot | Path, datasets_dir: Path) -> Path:
    """The prepared data set: ``data.yaml`` for detection, a crop folder for the classifiers.

    A ``Path`` is taken as already prepared. Crops keep the full resolution of
    the box; the training transform resizes, so one folder serves every image size.
    """
    from core.data.prepare import prepare_crops, prepare_yolo

    if isinstance(data, Path):
        return data
    snapshot = _scoped(data, getattr(config, "view_scope", "all"))
    folder = dataset_folder(model_type, config, snapshot, datasets_dir)
    if isinstance(config, DetectionConfig):
        return prepare_yolo(snapshot, folder)
    return prepare_crops(
        snapshot, folder, classifier_task(model_type), margin=config.margin, whole_image=config.whole_image, framed=config.wire_frame
    )


def train(
    model_type: str,
    config: AnyConfig,
    snapshot_or_dataset_dir: Snapshot | Path,
    run_dir: Path,
    sink: TrainingSink,
    resume: bool = False,
    datasets_dir: Path | None = None,
    data_dir: Path | None = None,
    starting_weights: StartingWeights | None = None,
) -> TrainResult:
    """Train one model and leave checkpoints, a report and TensorBoard logs under ``run_dir``.

    ``datasets_dir`` holds prepared data sets, reused while the snapshot is
    unchanged (default ``run_dir/data``); ``data_dir`` receives the offline
    caches and settings of the libraries (default ``run_dir``, unless the
    environment already names them). ``starting_weights`` is the store file
    the configuration's ``weights`` names, as the app resolved it; the trainer
    checks its sha256 before loading it.
    """
    if config.model_type != model_type:
        raise ValueError(f"A {config.model_type} configuration cannot train the {model_type} model.")
    check_matches(starting_weights, config.weights)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    configure_offline(data_dir or run_dir)
    install_fonts()
    from core.training.tensorboard import TensorBoardSink

    (run_dir / "config.json").write_text(json.dumps(to_json(config), indent=1))
    device = choose_device(config.device)
    if device.type == "cpu":  # before the crops are cut: a batch that cannot fit is refused at once
        _check_cpu_memory(config, config.batch)
    dataset = prepare(model_type, config, snapshot_or_dataset_dir, datasets_dir or run_dir / "data")
    tensorboard = TensorBoardSink(run_dir / TENSORBOARD_DIR)
    both = MultiSink(sink, tensorboard)
    try:
        if isinstance(config, DetectionConfig):
            result = _train_detection(config, dataset, run_dir, both, str(device), resume, starting_weights)
        else:
            result = _train_classifier(config, dataset, run_dir, both, tensorboard, str(device), resume, starting_weights)
        tensorboard.add_hparams(to_json(config), ModelMetrics.from_json(result.metrics).scalars)
    finally:
        tensorboard.close()
    (run_dir / RESULT_FILE).write_text(json.dumps(result.as_dict(), indent=1))
    return result


def _check_cpu_memory(config: DetectionConfig | ClassifierConfig, batch: int) -> None:
    """The CPU memory guard for this configuration's network and picture size at ``batch``."""
    if isinstance(config, DetectionConfig):  # Ultralytics loads in the training process on the CPU, whatever workers says
        check_cpu_memory(config.model_type, config.model, config.imgsz, batch)
    else:  # the classifier starts the loader processes the settings ask for (core.training.device.data_workers)
        check_cpu_memory(config.model_type, config.architecture, config.image_size, batch, workers=config.workers)


def _train_classifier(
    config: ClassifierConfig,
    crops_dir: Path,
    run_dir: Path,
    sink: MultiSink,
    tensorboard: TensorBoardSink,
    device: str,
    resume: bool,
    starting_weights: StartingWeights | None,
) -> TrainResult:
    import torch

    from core.training.classifier import train_classifier
    from core.training.report import write_classifier_report

    weights_dir = run_dir / WEIGHTS_DIR

    def attempt(batch: int, device_name: str) -> ClassifierResult:
        # A retry continues from the last finished epoch rather than starting over.
        retry = resume or (weights_dir / "last.pt").exists()
        return train_classifier(
            dataclasses.replace(config, batch=batch),
            crops_dir,
            weights_dir,
            sink,
            torch.device(device_name),
            tensorboard,
            retry,
            starting_weights,
        )

    guard = functools.partial(_check_cpu_memory, config)
    result, attempts = run_with_fallbacks(attempt, config.batch, device, sink.on_log, check_cpu=guard)
    evaluation = result.evaluation
    device_text = describe_device(torch.device(attempts.device))
    # The metrics contract (per class, confusion matrix, PASS recall with its support) the registry reads.
    metrics = ModelMetrics.from_evaluation(evaluation, best_epoch=float(result.best_epoch)).to_json()
    report_path = write_classifier_report(
        run_dir / REPORT_DIR,
        evaluation,
        result.prediction.truth,
        result.prediction.probabilities,
        result.val_paths,
        {
            "model_type": config.model_type,
            "device": device_text,
            "best_epoch": result.best_epoch,
            "epochs_run": result.epochs_run,
            "stopped_early": result.stopped_early,
            "batch": attempts.batch,
            "notes": attempts.notes,
            "history": result.history,
        },
    )
    return TrainResult(result.best_checkpoint, result.last_checkpoint, metrics, report_path, device_text, result.epochs_run, attempts.notes)


def _train_detection(
    config: DetectionConfig,
    data_yaml: Path,
    run_dir: Path,
    sink: MultiSink,
    device: str,
    resume: bool,
    starting_weights: StartingWeights | None,
) -> TrainResult:
    import torch

    from core.training.detection import train_detection
    from core.training.report import write_detection_report

    last = run_dir / "yolo" / "weights" / "last.pt"

    def attempt(batch: int, device_name: str) -> DetectionResult:
        return train_detection(
            dataclasses.replace(config, batch=batch),
            data_yaml,
            run_dir,
            sink,
            torch.device(device_name),
            resume or last.exists(),
            starting_weights,
        )

    guard = functools.partial(_check_cpu_memory, config)
    result, attempts = run_with_fallbacks(attempt, config.batch, device, sink.on_log, check_cpu=guard)
    device_text = describe_device(torch.device(attempts.device))
    report_dir = run_dir / REPORT_DIR
    report_dir.mkdir(parents=True, exist_ok=True)
    figures = {}
    for picture in sorted(result.save_dir.glob("*.png")):
        shutil.copyfile(picture, report_dir / picture.name)
        figures[picture.stem] = picture.name
    report_path = write_detection_report(
        report_dir,
        result.metrics,
        figures,
        {
            "model_type": "detection",
            "device": device_text,
            "epochs_run": result.epochs_run,
            "batch": attempts.batch,
            "notes": attempts.notes,
        },
    )
    # The registry names detection versions by mAP50, mAP50-95, precision and recall.
    metrics = ModelMetrics({name.removeprefix("val/"): float(value) for name, value in result.metrics.items()}, ("wire",)).to_json()
    return TrainResult(result.best_checkpoint, result.last_checkpoint, metrics, report_path, device_text, result.epochs_run, attempts.notes)
