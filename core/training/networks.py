"""The classifier networks: a timm model, or a timm image branch joined with the wire-shape branch.

Inference builds and runs these (``build_network``, ``predict``) without importing the
training loop (``core.training.classifier``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from core.labels import VIEWS
from core.shape.shapehead import combine
from core.shape.wireshape import FEATURES
from core.training.config import ClassifierConfig
from core.training.startweights import StartingWeights, check_matches, load_state_dict


class ShapeHybrid(nn.Module):
    """A timm image branch and a small MLP over the wire-shape descriptor, joined before the head.

    The image embedding goes through heavy dropout and a narrow projection, so
    on a small data set the CNN cannot memorise the crops while the shape
    branch carries the measured geometry. The descriptor's normalisation is
    kept in buffers, so it travels with the weights.
    """

    shape_mean: torch.Tensor
    shape_std: torch.Tensor

    def __init__(self, backbone: nn.Module, n_inputs: int, n_classes: int, image_dropout: float) -> None:
        super().__init__()
        self.backbone = backbone
        self.num_classes = n_classes
        self.register_buffer("shape_mean", torch.zeros(n_inputs))
        self.register_buffer("shape_std", torch.ones(n_inputs))
        # Every timm network has an int num_features; nn.Module's __getattr__ types any attribute as Tensor | Module.
        self.image = nn.Sequential(nn.Dropout(image_dropout), nn.Linear(cast(int, backbone.num_features), 32), nn.ReLU())
        self.shape = nn.Sequential(nn.Linear(n_inputs, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 32), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, n_classes))

    def set_normalisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        self.shape_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.shape_std.copy_(torch.as_tensor(np.maximum(std, 1e-3), dtype=torch.float32))

    def forward(self, pictures: torch.Tensor, shapes: torch.Tensor) -> torch.Tensor:
        normalised = (shapes - self.shape_mean) / self.shape_std
        logits: torch.Tensor = self.head(torch.cat([self.image(self.backbone(pictures)), self.shape(normalised)], dim=1))
        return logits


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
        logits: torch.Tensor = model(*(part.to(device, non_blocking=True) for part in inputs))
    else:
        logits = model(inputs.to(device, non_blocking=True))
    return logits


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


@dataclass
class Prediction:
    truth: np.ndarray
    probabilities: np.ndarray
    loss: float


def predict(model: nn.Module, loader: DataLoader[Any], device: torch.device, criterion: nn.Module | None = None) -> Prediction:
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
