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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Sampler

from core.data.augment import ClassAwareTransform, class_aware_transform, classifier_transform, oversample_indices
from core.data.weights import class_weights
from core.evaluation.metrics import Evaluation, evaluate
from core.labels import VIEWS, parse_wire_name
from core.shape.shapehead import combine, fit_shape_head, shape_log_probabilities
from core.shape.wireshape import DESCRIPTOR_VERSION, FEATURES, describe
from core.training.config import ClassifierConfig, to_json
from core.training.device import data_workers, memory_snapshot
from core.training.events import EpochEvent, ProgressEvent, StopRequested, TrainingSink
from core.training.losses import build_loss
from core.training.startweights import StartingWeights, check_matches, load_state_dict
from core.training.tensorboard import TensorBoardSink

PASS_CLASS = 0  # DEFECTS[0]
PROGRESS_SECONDS = 1.0


class CropFolder(Dataset):
    """``root/<split>/<CLASS>/*.png``; the class id is the folder's position in ``classes``.

    With ``shapes`` set (one row per crop, see :func:`shape_inputs`) an item's
    input is ``(picture, shape row)`` instead of the picture alone.
    """

    def __init__(self, root: Path, split: str, classes: Sequence[str]) -> None:
        self.classes = tuple(classes)
        self.items = [(str(p), k) for k, name in enumerate(self.classes) for p in sorted((root / split / name).glob("*.png"))]
        self.labels = [k for _, k in self.items]
        self.transform: Callable[[np.ndarray, int], torch.Tensor] | None = None
        self.shapes: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.items)

    def picture(self, index: int) -> np.ndarray:
        return cv2.cvtColor(cv2.imread(self.items[index][0], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    def __getitem__(self, index: int) -> tuple[Any, int]:
        label = self.items[index][1]
        assert self.transform is not None, "set the transform before loading"
        picture = self.transform(self.picture(index), label)
        if self.shapes is None:
            return picture, label
        return (picture, torch.from_numpy(self.shapes[index])), label


def crop_view(path: str) -> str | None:
    """The view of a prepared crop, from its name (``<picture stem>-<digest>-<box>.png``)."""
    stem = Path(path).stem.rsplit("-", 2)[0]
    return parse_wire_name(stem + ".png").view


def shape_inputs(descriptors: np.ndarray, views: Sequence[str | None]) -> np.ndarray:
    """Descriptor rows followed by the view as one-hot (all zero when unknown): the shape branch's input."""
    one_hot = np.array([[1.0 if view == v else 0.0 for v in VIEWS] for view in views], dtype=np.float32).reshape(len(views), len(VIEWS))
    return np.concatenate([np.asarray(descriptors, np.float32).reshape(len(views), len(FEATURES)), one_hot], axis=1)


def folder_shapes(folder: CropFolder, cache: Path) -> np.ndarray:
    """The shape inputs of every crop in ``folder``, traced once and cached in ``cache`` (JSON by crop name).

    Descriptors are taken from the stored crop, never from an augmented copy:
    flips and small rotations leave them unchanged by construction, and
    elastic distortion would bend the very geometry that defines the class.
    """
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if known.get("version") != DESCRIPTOR_VERSION:
        known = {"version": DESCRIPTOR_VERSION, "descriptors": {}}
    table: dict[str, list[float]] = known["descriptors"]
    views = [crop_view(path) for path, _ in folder.items]
    missing = [i for i, (path, _) in enumerate(folder.items) if Path(path).name not in table]
    for i in missing:
        table[Path(folder.items[i][0]).name] = describe(folder.picture(i), views[i] or "TOP").tolist()
    if missing:
        temporary = cache.with_suffix(".tmp")
        temporary.write_text(json.dumps(known))
        os.replace(temporary, cache)
    return shape_inputs(np.array([table[Path(path).name] for path, _ in folder.items], np.float32), views)


class EpochSampler(Sampler[int]):
    """The indices of one epoch: PASS repeated ``pass_oversample`` times, then shuffled or class-balanced.

    The order is a pure function of (seed, epoch), so the sampler's whole state
    is those two numbers and a resumed run sees the same epochs as an
    uninterrupted one.
    """

    def __init__(self, labels: Sequence[int], n_classes: int, kind: str, oversample: dict[int, int], seed: int) -> None:
        self.base = oversample_indices(labels, oversample) if any(f > 1 for f in oversample.values()) else list(range(len(labels)))
        self.labels = list(labels)
        self.n_classes = n_classes
        self.kind = kind
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.base)

    def delivered_counts(self) -> list[int]:
        """Samples per class an epoch delivers on average: what the loss weights must correct."""
        counts = [0] * self.n_classes
        for i in self.base:
            counts[self.labels[i]] += 1
        if self.kind == "balanced":
            present = [k for k in range(self.n_classes) if counts[k]]
            return [len(self.base) // len(present) if counts[k] else 0 for k in range(self.n_classes)]
        return counts

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
        base = torch.tensor(self.base)
        if self.kind == "balanced":
            per_class = torch.bincount(torch.tensor([self.labels[i] for i in self.base]), minlength=self.n_classes).float()
            weights = 1.0 / per_class[[self.labels[i] for i in self.base]]
            order = base[torch.multinomial(weights, len(self.base), replacement=True, generator=generator)]
        else:
            order = base[torch.randperm(len(self.base), generator=generator)]
        return iter(order.tolist())

    def state_dict(self) -> dict[str, int | str]:
        return {"seed": self.seed, "epoch": self.epoch, "kind": self.kind}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])


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


class ShapeHybrid(nn.Module):
    """A timm image branch and a small MLP over the wire-shape descriptor, joined before the head.

    The image embedding goes through heavy dropout and a narrow projection, so
    on a small data set the CNN cannot memorise the crops while the shape
    branch carries the measured geometry. The descriptor's normalisation is
    kept in buffers, so it travels with the weights.
    """

    def __init__(self, backbone: nn.Module, n_inputs: int, n_classes: int, image_dropout: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.num_classes = n_classes
        self.register_buffer("shape_mean", torch.zeros(n_inputs))
        self.register_buffer("shape_std", torch.ones(n_inputs))
        self.image = nn.Sequential(nn.Dropout(image_dropout), nn.Linear(backbone.num_features, 32), nn.ReLU())
        self.shape = nn.Sequential(nn.Linear(n_inputs, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, n_classes))

    def set_normalisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.shape_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.shape_std.copy_(torch.as_tensor(np.maximum(std, 1e-3), dtype=torch.float32))

    def forward(self, pictures: torch.Tensor, shapes: torch.Tensor) -> torch.Tensor:
        normalised = (shapes - self.shape_mean) / self.shape_std
        return self.head(torch.cat([self.image(self.backbone(pictures)), self.shape(normalised)], dim=1))


def build_network(architecture: str, n_classes: int, shape_inputs_count: int = 0, image_dropout: float = 0.5) -> nn.Module:
    """The bare network: a timm classifier, or :class:`ShapeHybrid` when it takes shape inputs."""
    import timm

    if not shape_inputs_count:
        return timm.create_model(architecture, pretrained=False, num_classes=n_classes)
    backbone = timm.create_model(architecture, pretrained=False, num_classes=0)
    return ShapeHybrid(backbone, shape_inputs_count, n_classes, image_dropout)


def forward(model: nn.Module, inputs: Any, device: torch.device) -> torch.Tensor:
    """Call ``model`` on a batch of pictures, or of ``(pictures, shape inputs)``."""
    if isinstance(inputs, list | tuple):
        return model(*(part.to(device, non_blocking=True) for part in inputs))
    return model(inputs.to(device, non_blocking=True))


def build_model(config: ClassifierConfig, n_classes: int, starting_weights: StartingWeights | None = None) -> nn.Module:
    """A timm network with random weights, or started from a store file whose checksum matched (never downloaded)."""
    shape_count = len(FEATURES) + len(VIEWS) if config.shape_features else 0
    model = build_network(config.architecture, n_classes, shape_count, config.image_dropout)
    target = model.backbone if isinstance(model, ShapeHybrid) else model
    starting_weights = check_matches(starting_weights, config.weights)
    if starting_weights is not None:
        state = load_state_dict(starting_weights)
        if any(key.startswith("backbone.") for key in state):
            # A shape hybrid's checkpoint: its image branch is the timm network.
            state = {key.removeprefix("backbone."): value for key, value in state.items() if key.startswith("backbone.")}
        own = target.state_dict()
        # A backbone trained for another number of classes keeps everything but its head.
        usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        if not usable:
            raise ValueError(
                f"The starting weights {starting_weights.label} do not fit a {config.architecture}; "
                "choose a file made for that architecture."
            )
        target.load_state_dict(usable, strict=False)
    return model


def save_atomically(payload: dict[str, Any], path: Path) -> None:
    """Write to a temporary file, then rename: a crash never leaves half a checkpoint."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)


@dataclass
class Prediction:
    truth: np.ndarray
    probabilities: np.ndarray
    loss: float


def predict(model: nn.Module, loader: DataLoader, device: torch.device, criterion: nn.Module | None = None) -> Prediction:
    model.eval()
    truths, probabilities, losses = [], [], []
    with torch.no_grad():
        for inputs, labels in loader:
            logits = forward(model, inputs, device).float()
            if criterion is not None:
                losses.append(criterion(logits, labels.to(device)).item() * len(labels))
            probabilities.append(torch.softmax(logits, dim=1).cpu().numpy())
            truths.append(labels.numpy())
    n_classes = getattr(model, "num_classes", 0)
    return Prediction(
        truth=np.concatenate(truths) if truths else np.zeros(0, int),
        probabilities=np.concatenate(probabilities) if probabilities else np.zeros((0, n_classes)),
        loss=sum(losses) / max(sum(len(t) for t in truths), 1),
    )


def with_shape_head(prediction: Prediction, shape_log: np.ndarray | None, weight: float) -> Prediction:
    """The network's prediction mixed with the shape classifier's log-probabilities (unchanged without a head)."""
    if shape_log is None:
        return prediction
    return Prediction(prediction.truth, combine(shape_log, prediction.probabilities, weight), prediction.loss)


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
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state()
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
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError as error:
        raise ValueError(
            f"{path} holds more than tensors and plain values ({str(error).splitlines()[0]}), so it was not loaded; "
            "it was written by an older Wiresag or changed by hand: start a new run."
        ) from None


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
    info = json.loads((crops_dir / "info.json").read_text())
    classes: list[str] = info["classes"]
    task = config.model_type
    out_dir.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out_dir / "last.pt", out_dir / "best.pt"
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    random.seed(config.seed)

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

    oversample = {PASS_CLASS: config.pass_oversample} if task == "defect" else {}
    sampler = EpochSampler(train_set.labels, len(classes), config.sampler, oversample, config.seed)
    weights = class_weights(sampler.delivered_counts())
    workers = data_workers(device, config.workers)
    loader_args: dict[str, Any] = {"num_workers": workers, "pin_memory": device.type == "cuda", "persistent_workers": workers > 0}
    train_loader = DataLoader(train_set, batch_size=config.batch, sampler=sampler, drop_last=len(sampler) > config.batch, **loader_args)
    val_loader = DataLoader(val_set, batch_size=config.batch, shuffle=False, **loader_args)

    model = build_model(config, len(classes), starting_weights)
    if starting_weights is not None:
        sink.on_log("info", f"Started from {starting_weights.label} ({starting_weights.reference}); its checksum matched the store's.")
    shape_meta: dict[str, Any] | None = None
    shape_head: dict[str, Any] | None = None
    val_shape_log: np.ndarray | None = None
    if config.shape_features or config.shape_weight > 0:
        train_shapes = folder_shapes(train_set, crops_dir / "shapes.json")
        val_shapes = folder_shapes(val_set, crops_dir / "shapes.json")
    if config.shape_weight > 0:
        # Descriptors are fixed, so one fit serves every epoch (and a resumed run refits the same head).
        train_views = [crop_view(path) for path, _ in train_set.items]
        shape_head = fit_shape_head(train_shapes[:, : len(FEATURES)], train_views, train_set.labels, len(classes))
        shape_head["weight"] = config.shape_weight
        val_shape_log = shape_log_probabilities(shape_head, val_shapes[:, : len(FEATURES)], [crop_view(path) for path, _ in val_set.items])
    if config.shape_features:
        train_set.shapes, val_set.shapes = train_shapes, val_shapes
        mean, std = train_set.shapes.mean(axis=0), train_set.shapes.std(axis=0)
        assert isinstance(model, ShapeHybrid)
        model.set_normalisation(mean, std)
        shape_meta = {
            "version": DESCRIPTOR_VERSION,
            "features": [*FEATURES, *(f"view_{v}" for v in VIEWS)],
            "image_dropout": config.image_dropout,
        }
    model = model.to(device)
    criterion = build_loss(config.loss, weights, config.focal_gamma, config.focal_alpha, config.label_smoothing).to(device)
    plain_loss = nn.CrossEntropyLoss().to(device)  # comparable validation loss whatever the training loss
    if config.optimizer == "sgd":
        optimizer: torch.optim.Optimizer = torch.optim.SGD(
            model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay, nesterov=True
        )
    elif config.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    else:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: lr_factor(e, config))
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    start_epoch, best_score, best_epoch, stale, history = 0, -1.0, 0, 0, []
    if resume and last_path.exists():
        state = load_own_checkpoint(last_path, device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        scaler.load_state_dict(state["scaler"])
        sampler.load_state_dict(state["sampler"])
        _set_rng_state(state["rng"])
        start_epoch, best_score, best_epoch, stale, history = (
            state["epoch"],
            state["best_score"],
            state["best_epoch"],
            state["stale"],
            state["history"],
        )
        sink.on_log("info", f"Resumed from epoch {start_epoch} of {config.epochs}.")

    meta = {
        "task": task,
        "architecture": config.architecture,
        "classes": classes,
        "image_size": config.image_size,
        "margin": config.margin,
        "whole_image": config.whole_image,
        "shape": shape_meta,
        "shape_head": shape_head,
        "config": to_json(config),
    }
    stopped_early = False
    epoch = start_epoch
    run_start = time.monotonic()
    for epoch in range(start_epoch, config.epochs):
        if stale >= config.patience > 0:
            stopped_early = True
            break
        started = time.monotonic()
        sampler.epoch = epoch
        model.train()
        total_loss, seen, last_progress = 0.0, 0, 0.0
        batches = len(train_loader)
        for batch_index, (inputs, labels) in enumerate(train_loader):
            kind = sink.stop_requested()
            if kind is not None:
                raise StopRequested(kind, epoch + 1)
            labels = labels.to(device, non_blocking=True)
            with torch.autocast(device_type=device.type, enabled=use_amp):
                loss = criterion(forward(model, inputs, device), labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total_loss += loss.item() * len(labels)
            seen += len(labels)
            now = time.monotonic()
            if now - last_progress >= PROGRESS_SECONDS or batch_index + 1 == batches:
                last_progress = now
                sink.on_progress(ProgressEvent(epoch + 1, config.epochs, batch_index + 1, batches, now - started))
        learning_rate = optimizer.param_groups[0]["lr"]
        scheduler.step()

        prediction = with_shape_head(predict(model, val_loader, device, plain_loss), val_shape_log, config.shape_weight)
        evaluation = evaluate(prediction.truth, prediction.probabilities.argmax(axis=1), classes, prediction.probabilities)
        score = getattr(evaluation, config.selection_metric)
        improved = score > best_score + config.min_delta
        if improved:
            best_score, best_epoch, stale = score, epoch + 1, 0
            save_atomically({**meta, "model": model.state_dict(), "epoch": epoch + 1, "metrics": evaluation.scalars()}, best_path)
        else:
            stale += 1
        metrics = {"train/loss": total_loss / max(seen, 1), "val/loss": prediction.loss}
        metrics.update({f"val/{k}": v for k, v in evaluation.scalars().items()})
        metrics["val/best_" + config.selection_metric] = best_score
        history.append({"epoch": epoch + 1, **metrics})
        save_atomically(
            {
                **meta,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "sampler": {**sampler.state_dict(), "epoch": epoch + 1},
                "rng": _rng_state(),
                "epoch": epoch + 1,
                "best_score": best_score,
                "best_epoch": best_epoch,
                "stale": stale,
                "history": history,
            },
            last_path,
        )
        if tensorboard is not None and ((epoch + 1) % config.samples_every == 0 or epoch + 1 == config.epochs):
            tensorboard.add_confusion(epoch + 1, evaluation)
            shown = list(range(min(8, len(val_set))))
            predicted = prediction.probabilities.argmax(axis=1)
            tensorboard.add_samples(
                epoch + 1,
                [val_set.picture(i) for i in shown],
                [classes[val_set.labels[i]] for i in shown],
                [classes[predicted[i]] for i in shown],
            )
        seconds = time.monotonic() - started
        done = epoch + 1 - start_epoch
        eta = (time.monotonic() - run_start) / done * (config.epochs - epoch - 1)
        sink.on_epoch(EpochEvent(epoch + 1, config.epochs, metrics, learning_rate, seconds, eta, memory_snapshot(device)))
    else:
        epoch = config.epochs
    if stopped_early:
        sink.on_log("info", f"Early stopping: {config.selection_metric} did not improve for {config.patience} epochs.")

    best = load_own_checkpoint(best_path, device)
    model.load_state_dict(best["model"])
    prediction = with_shape_head(predict(model, val_loader, device, plain_loss), val_shape_log, config.shape_weight)
    evaluation = evaluate(prediction.truth, prediction.probabilities.argmax(axis=1), classes, prediction.probabilities)
    if shape_head is not None and config.shape_refit:
        # The validation scores above are the honest ones (the head never saw those crops); the
        # stored head learns from every annotated wire, which matters when PASS has three.
        refit = fit_shape_head(
            np.concatenate([train_shapes, val_shapes])[:, : len(FEATURES)],
            [crop_view(path) for path, _ in (*train_set.items, *val_set.items)],
            [*train_set.labels, *val_set.labels],
            len(classes),
        )
        refit.update({"weight": config.shape_weight, "fitted_on": "train+val", "validated_head": shape_head})
        save_atomically({**best, "shape_head": refit}, best_path)
        sink.on_log(
            "info",
            f"Fitted the wire-shape classifier again on all {len(train_set) + len(val_set)} crops for the stored model; "
            "the validation scores are those of the training-only fit.",
        )
    return ClassifierResult(
        best_checkpoint=best_path,
        last_checkpoint=last_path,
        best_epoch=best_epoch,
        epochs_run=epoch,
        stopped_early=stopped_early,
        evaluation=evaluation,
        prediction=prediction,
        val_paths=tuple(p for p, _ in val_set.items),
        history=history,
    )
