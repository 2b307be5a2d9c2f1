"""The view (ResNet18) and defect (EfficientNet-B0) classifiers, trained with timm.

The loop reads top to bottom: build the model, the loss and the epoch sampler,
then per epoch train, evaluate, keep the best checkpoint, write ``last.pt``
atomically and report through the sink. A defect model with ``shape_weight``
above 0 also fits the linear wire-shape classifier (``shapehead``) once on the
training crops' descriptors; every reported metric and the best-checkpoint
choice use its probabilities mixed with the network's, as inference does. A stop request is honoured within one
batch; ``last.pt`` then holds the last finished epoch (model, optimiser,
scheduler, sampler and RNG state), so a resumed run continues from there.
Checkpoints hold only tensors and plain values, and are read back with
``weights_only=True``; starting weights come from the app's store
(``startweights``).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.data.augment import ClassAwareTransform, class_aware_transform, classifier_transform
from core.data.weights import class_weights
from core.evaluation.metrics import Evaluation, evaluate
from core.labels import VIEWS, classifier_task
from core.shape.shapehead import fit_shape_head, shape_log_probabilities
from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES
from core.training.config import ClassifierConfig, to_json
from core.training.crops import PASS_CLASS, CropFolder, EpochSampler, crop_view, folder_shapes
from core.training.device import data_workers, memory_snapshot
from core.training.events import EpochEvent, ProgressEvent, StopRequested, TrainingSink
from core.training.losses import build_loss
from core.training.networks import Prediction, ShapeHybrid, build_model, forward, predict, with_shape_head
from core.training.startweights import StartingWeights
from core.training.tensorboard import TensorBoardSink

PROGRESS_SECONDS = 1.0


def lr_factor(epoch: int, config: ClassifierConfig) -> float:
    """Multiplier of the peak learning rate for a 0-based epoch: linear warm-up, then the schedule."""
    if epoch < config.warmup_epochs:
        return (epoch + 1) / (config.warmup_epochs + 1)
    after = epoch - config.warmup_epochs
    if config.scheduler == "cosine":
        span = max(config.epochs - config.warmup_epochs, 1)
        return 0.5 * (1 + math.cos(math.pi * after / span))
    if config.scheduler == "step":
        return config.step_gamma ** (after // config.step_size)
    return 1.0


def save_atomically(payload: dict[str, Any], path: Path) -> None:
    """Write to a temporary file, then rename: a crash never leaves half a checkpoint."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    except BaseException:  # a full disk half way through: the half file goes, the previous checkpoint stays
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class ClassifierResult:
    best_checkpoint: Path
    last_checkpoint: Path
    best_epoch: int
    epochs_run: int
    stopped_early: bool
    evaluation: Evaluation  # of the best checkpoint on the validation crops
    prediction: Prediction
    val_paths: tuple[str, ...]
    history: list[dict[str, float]]


def _rng_state() -> dict[str, Any]:
    """The three generators' states as tensors and plain values, so ``last.pt`` loads with ``weights_only=True``."""
    numpy_state = np.random.get_state(legacy=True)
    if not isinstance(numpy_state, tuple):  # a dict only when the global generator is not the legacy MT19937
        raise TypeError("numpy's global random generator is not MT19937, so its state cannot go into the checkpoint.")
    name, keys, position, has_gauss, cached_gaussian = numpy_state
    version, internal, gauss_next = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": name,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())  # the checkpoint may have been mapped onto the GPU
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            numpy_state["name"],
            numpy_state["keys"].cpu().numpy().astype(np.uint32),
            numpy_state["position"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = state["python"]
    random.setstate((python_state["version"], tuple(python_state["internal"]), python_state["gauss_next"]))


def load_own_checkpoint(path: Path, device: torch.device) -> dict[str, Any]:
    """A checkpoint this trainer wrote (``last.pt``, ``best.pt``), loaded with ``weights_only=True``: tensors and plain data only."""
    try:
        checkpoint: dict[str, Any] = torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path} holds more than tensors and plain values ({str(error).splitlines()[0]}), so it was not loaded; "
            "it was written by an older Wiresag or changed by hand: start a new run."
        ) from None
    return checkpoint


@dataclass
class LoopState:
    """What a resumed run needs besides the weights: where the loop stands and how it went."""

    epoch: int = 0
    best_score: float = -1.0
    best_epoch: int = 0
    stale: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    #: Validation loss of the best epoch: among epochs as good on the selection metric, the surest is kept.
    best_loss: float = math.inf

    def record(self, score: float, loss: float, min_delta: float) -> bool:
        """Count one validated epoch (``self.epoch`` already advanced); True when it becomes the best checkpoint.

        An epoch better by more than ``min_delta`` is the best and resets early stopping. An epoch exactly as
        good but with a lower validation loss also becomes the best checkpoint, without resetting early stopping:
        a view model reached accuracy 1.0 on its 18 validation crops after one epoch while barely separating
        them (probabilities 0.5-0.6), and keeping that first epoch left it at chance on held-out real pictures
        (bench_realdata, real-dev fold 0: view accuracy 0.82 where the later epochs give 1.0).
        """
        if score > self.best_score + min_delta:
            self.best_score, self.best_epoch, self.best_loss, self.stale = score, self.epoch, loss, 0
            return True
        self.stale += 1
        if score >= self.best_score and loss < self.best_loss:
            self.best_epoch, self.best_loss = self.epoch, loss
            return True
        return False


@dataclass
class ShapeParts:
    """The wire-shape side of a defect model: descriptors per crop, the linear head and its validation scores."""

    meta: dict[str, Any] | None = None
    head: dict[str, Any] | None = None
    val_log: np.ndarray | None = None
    train_shapes: np.ndarray | None = None
    val_shapes: np.ndarray | None = None


@dataclass
class Training:
    """Everything one epoch needs, built once by :func:`setup`."""

    config: ClassifierConfig
    classes: list[str]
    device: torch.device
    train_set: CropFolder
    val_set: CropFolder
    sampler: EpochSampler
    train_loader: DataLoader[tuple[Any, int]]
    val_loader: DataLoader[tuple[Any, int]]
    model: nn.Module
    criterion: nn.Module
    plain_loss: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    use_amp: bool
    shape: ShapeParts
    meta: dict[str, Any]


def _datasets(config: ClassifierConfig, crops_dir: Path, classes: list[str]) -> tuple[CropFolder, CropFolder]:
    task = classifier_task(config.model_type)
    train_set, val_set = CropFolder(crops_dir, "train", classes), CropFolder(crops_dir, "val", classes)
    if not len(train_set) or not len(val_set):
        raise ValueError(
            f"The {task} data set has {len(train_set)} training and {len(val_set)} validation crops; "
            "annotate more wires so both are non-empty."
        )
    heavy_classes = {PASS_CLASS} if task == "defect" and config.heavy_augment else set()
    train_set.transform = class_aware_transform(task, config.image_size, heavy_classes)
    plain = classifier_transform(task, config.image_size, heavy=False, train=False)
    val_set.transform = ClassAwareTransform(plain, plain, set())
    return train_set, val_set


def _shape_parts(config: ClassifierConfig, crops_dir: Path, train_set: CropFolder, val_set: CropFolder, model: nn.Module) -> ShapeParts:
    """Trace the crops' wire shapes when the model uses them: as inputs of a hybrid, or for the linear head."""
    parts = ShapeParts()
    if not (config.shape_features or config.shape_weight > 0):
        return parts
    parts.train_shapes = folder_shapes(train_set, crops_dir / "shapes.json")
    parts.val_shapes = folder_shapes(val_set, crops_dir / "shapes.json")
    n_classes = len(train_set.classes)
    if config.shape_weight > 0:
        # Descriptors are fixed, so one fit serves every epoch (and a resumed run refits the same head).
        train_views = [crop_view(path) for path, _ in train_set.items]
        parts.head = fit_shape_head(parts.train_shapes[:, : len(FEATURES)], train_views, train_set.labels, n_classes)
        parts.head["weight"] = config.shape_weight
        val_views = [crop_view(path) for path, _ in val_set.items]
        parts.val_log = shape_log_probabilities(parts.head, parts.val_shapes[:, : len(FEATURES)], val_views)
    if config.shape_features:
        train_set.shapes, val_set.shapes = parts.train_shapes, parts.val_shapes
        assert isinstance(model, ShapeHybrid)
        model.set_normalisation(parts.train_shapes.mean(axis=0), parts.train_shapes.std(axis=0))
        parts.meta = {
            "version": DESCRIPTOR_VERSION,
            "features": [*FEATURES, *(f"view_{v}" for v in VIEWS)],
            "image_dropout": config.image_dropout,
        }
    return parts


def _optimizer(config: ClassifierConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True)
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)


def setup(
    config: ClassifierConfig, crops_dir: Path, device: torch.device, sink: TrainingSink, starting_weights: StartingWeights | None
) -> Training:
    """Data, model, loss, optimiser and schedule of one run, seeded."""
    classes: list[str] = json.loads((crops_dir / "info.json").read_text())["classes"]
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    random.seed(config.seed)
    train_set, val_set = _datasets(config, crops_dir, classes)
    oversample = {PASS_CLASS: config.pass_oversample} if config.model_type == "defect" else {}
    sampler = EpochSampler(train_set.labels, len(classes), config.sampler, oversample, config.seed)
    workers = data_workers(device, config.workers)
    loader_args: dict[str, Any] = {"num_workers": workers, "pin_memory": device.type == "cuda", "persistent_workers": workers > 0}
    train_loader = DataLoader(train_set, batch_size=config.batch, sampler=sampler, drop_last=len(sampler) > config.batch, **loader_args)
    val_loader = DataLoader(val_set, batch_size=config.batch, shuffle=False, **loader_args)

    model = build_model(config, len(classes), starting_weights)
    if starting_weights is not None:
        sink.on_log("info", f"Started from {starting_weights.label} ({starting_weights.reference}); its checksum matched the store's.")
    shape = _shape_parts(config, crops_dir, train_set, val_set, model)
    model = model.to(device)
    weights = class_weights(sampler.delivered_counts())
    criterion = build_loss(config.loss, weights, config.focal_gamma, config.focal_alpha, config.label_smoothing).to(device)
    optimizer = _optimizer(config, model)
    use_amp = config.amp and device.type == "cuda"
    meta = {
        "task": config.model_type,
        "architecture": config.architecture,
        "classes": classes,
        "image_size": config.image_size,
        "margin": config.margin,
        "whole_image": config.whole_image,
        "wire_frame": config.wire_frame and config.model_type == "defect",
        "shape": shape.meta,
        "shape_head": shape.head,
        "config": to_json(config),
    }
    return Training(
        config=config,
        classes=classes,
        device=device,
        train_set=train_set,
        val_set=val_set,
        sampler=sampler,
        train_loader=train_loader,
        val_loader=val_loader,
        model=model,
        criterion=criterion,
        plain_loss=nn.CrossEntropyLoss().to(device),  # comparable validation loss whatever the training loss
        optimizer=optimizer,
        scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: lr_factor(e, config)),
        scaler=torch.amp.GradScaler("cuda", enabled=use_amp),
        use_amp=use_amp,
        shape=shape,
        meta=meta,
    )


def checkpoint_state(t: Training, state: LoopState) -> dict[str, Any]:
    """``last.pt``: weights, optimiser, schedule, sampler and RNG state, as tensors and plain values."""
    return {
        **t.meta,
        "model": t.model.state_dict(),
        "optimizer": t.optimizer.state_dict(),
        "scheduler": t.scheduler.state_dict(),
        "scaler": t.scaler.state_dict(),
        "sampler": {**t.sampler.state_dict(), "epoch": state.epoch},
        "rng": _rng_state(),
        "epoch": state.epoch,
        "best_score": state.best_score,
        "best_epoch": state.best_epoch,
        "stale": state.stale,
        "history": state.history,
        "best_loss": state.best_loss,
    }


def restore(t: Training, path: Path) -> LoopState:
    """Continue from ``last.pt`` exactly where it stopped."""
    saved = load_own_checkpoint(path, t.device)
    t.model.load_state_dict(saved["model"])
    t.optimizer.load_state_dict(saved["optimizer"])
    t.scheduler.load_state_dict(saved["scheduler"])
    t.scaler.load_state_dict(saved["scaler"])
    t.sampler.load_state_dict(saved["sampler"])
    _set_rng_state(saved["rng"])
    return LoopState(
        saved["epoch"], saved["best_score"], saved["best_epoch"], saved["stale"], saved["history"], saved.get("best_loss", math.inf)
    )


def train_one_epoch(t: Training, epoch: int, sink: TrainingSink) -> float:
    """One pass over the training crops (``epoch`` counts from 0); the mean training loss.

    A stop request from the sink is honoured before the next batch.
    """
    t.sampler.epoch = epoch
    t.model.train()
    started = time.monotonic()
    total_loss, seen, last_progress = 0.0, 0, 0.0
    batches = len(t.train_loader)
    for batch_index, (inputs, labels) in enumerate(t.train_loader):
        kind = sink.stop_requested()
        if kind is not None:
            raise StopRequested(kind, epoch + 1)
        labels = labels.to(t.device, non_blocking=True)
        with torch.autocast(device_type=t.device.type, enabled=t.use_amp):
            loss = t.criterion(forward(t.model, inputs, t.device), labels)
        t.optimizer.zero_grad(set_to_none=True)
        t.scaler.scale(loss).backward()
        t.scaler.step(t.optimizer)
        t.scaler.update()
        total_loss += loss.item() * len(labels)
        seen += len(labels)
        now = time.monotonic()
        if now - last_progress >= PROGRESS_SECONDS or batch_index + 1 == batches:
            last_progress = now
            sink.on_progress(ProgressEvent(epoch + 1, t.config.epochs, batch_index + 1, batches, now - started))
    return total_loss / max(seen, 1)


def validate(t: Training) -> tuple[Prediction, Evaluation]:
    """The validation crops through the model (mixed with the shape head, as inference does), and their metrics."""
    prediction = with_shape_head(predict(t.model, t.val_loader, t.device, t.plain_loss), t.shape.val_log, t.config.shape_weight)
    evaluation = evaluate(prediction.truth, prediction.probabilities.argmax(axis=1), t.classes, prediction.probabilities)
    return prediction, evaluation


def _log_samples(t: Training, tensorboard: TensorBoardSink, epoch: int, prediction: Prediction, evaluation: Evaluation) -> None:
    tensorboard.add_confusion(epoch, evaluation)
    shown = list(range(min(8, len(t.val_set))))
    predicted = prediction.probabilities.argmax(axis=1)
    tensorboard.add_samples(
        epoch,
        [t.val_set.picture(i) for i in shown],
        [t.classes[t.val_set.labels[i]] for i in shown],
        [t.classes[predicted[i]] for i in shown],
    )


def _refit_shape_head(t: Training, best: dict[str, Any], best_path: Path, sink: TrainingSink) -> None:
    """The validation scores are the honest ones (the head never saw those crops); the stored head
    learns from every annotated wire, which matters when PASS has three."""
    assert t.shape.head is not None and t.shape.train_shapes is not None and t.shape.val_shapes is not None
    refit = fit_shape_head(
        np.concatenate([t.shape.train_shapes, t.shape.val_shapes])[:, : len(FEATURES)],
        [crop_view(path) for path, _ in (*t.train_set.items, *t.val_set.items)],
        [*t.train_set.labels, *t.val_set.labels],
        len(t.classes),
    )
    refit.update({"weight": t.config.shape_weight, "fitted_on": "train+val", "validated_head": t.shape.head})
    save_atomically({**best, "shape_head": refit}, best_path)
    sink.on_log(
        "info",
        f"Fitted the wire-shape classifier again on all {len(t.train_set) + len(t.val_set)} crops for the stored model; "
        "the validation scores are those of the training-only fit.",
    )


def resumed_message(finished: int, epochs: int) -> str:
    """What a resume continues from: the checkpoint of the last finished epoch, then the next epoch from its start."""
    return f"Resumed from the checkpoint of epoch {finished} of {epochs}; training epoch {finished + 1} from its start."


def train_classifier(
    config: ClassifierConfig,
    crops_dir: Path,
    out_dir: Path,
    sink: TrainingSink,
    device: torch.device,
    tensorboard: TensorBoardSink | None = None,
    resume: bool = False,
    starting_weights: StartingWeights | None = None,
) -> ClassifierResult:
    """Train on ``crops_dir`` (from ``prepare_crops``); checkpoints go to ``out_dir``.

    ``starting_weights`` is the store file the configuration's ``weights`` names (see ``startweights``).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    t = setup(config, crops_dir, device, sink, starting_weights)
    state = LoopState()
    if resume and last_path.exists():
        state = restore(t, last_path)
        sink.on_log("info", resumed_message(state.epoch, config.epochs))
    stopped_early = False
    while state.epoch < config.epochs:
        if state.stale >= config.patience > 0:
            stopped_early = True
            break
        started = time.monotonic()
        train_loss = train_one_epoch(t, state.epoch, sink)
        learning_rate = t.optimizer.param_groups[0]["lr"]
        t.scheduler.step()
        prediction, evaluation = validate(t)
        state.epoch += 1
        if state.record(getattr(evaluation, config.selection_metric), prediction.loss, config.min_delta):
            save_atomically({**t.meta, "model": t.model.state_dict(), "epoch": state.epoch, "metrics": evaluation.scalars()}, best_path)
        metrics = {"train/loss": train_loss, "val/loss": prediction.loss, **{f"val/{k}": v for k, v in evaluation.scalars().items()}}
        metrics["val/best_" + config.selection_metric] = state.best_score
        state.history.append({"epoch": state.epoch, **metrics})
        if tensorboard is not None and (state.epoch % config.samples_every == 0 or state.epoch == config.epochs):
            _log_samples(t, tensorboard, state.epoch, prediction, evaluation)
        seconds = time.monotonic() - started
        # The epoch is recorded before ``last.pt`` says it is done: a kill between the two redoes
        # the epoch on resume (its record is then replaced), where the other order would lose it.
        sink.on_epoch(EpochEvent(state.epoch, config.epochs, metrics, learning_rate, seconds, None, memory_snapshot(device)))
        save_atomically(checkpoint_state(t, state), last_path)
    if stopped_early:
        sink.on_log("info", f"Early stopping: {config.selection_metric} did not improve for {config.patience} epochs.")

    best = load_own_checkpoint(best_path, device)
    t.model.load_state_dict(best["model"])
    prediction, evaluation = validate(t)
    if t.shape.head is not None and config.shape_refit:
        _refit_shape_head(t, best, best_path, sink)
    return ClassifierResult(
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        best_epoch=state.best_epoch,
        epochs_run=state.epoch,
        stopped_early=stopped_early,
        evaluation=evaluation,
        prediction=prediction,
        val_paths=tuple(p for p, _ in t.val_set.items),
        history=state.history,
    )
