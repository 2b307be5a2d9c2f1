"""Losses for the imbalanced defect classes.

Class weights (``weights.class_weights``) come from the crops an epoch actually
delivers, after PASS oversampling or balanced sampling, so the two corrections
are never applied twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F


class FocalLoss(nn.Module):
    """Focal loss (Lin et al. 2017): ``-alpha_t (1 - p_t)^gamma log p_t``, averaged over the batch.

    ``alpha`` holds one factor per class (e.g. the class weights) or is None for 1.
    With ``gamma = 0`` and no ``alpha`` it equals plain cross-entropy.
    """

    alpha: torch.Tensor | None  # a buffer: it follows the module to its device and into its state dict

    def __init__(self, gamma: float = 2.0, alpha: Sequence[float] | None = None) -> None:
        super().__init__()
        self.gamma = gamma
        self.register_buffer("alpha", None if alpha is None else torch.tensor(list(alpha), dtype=torch.float32))

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_p = F.log_softmax(logits.float(), dim=1).gather(1, target[:, None]).squeeze(1)
        loss = -((1 - log_p.exp()) ** self.gamma) * log_p
        if self.alpha is not None:
            loss = loss * self.alpha[target]
        return loss.mean()


def build_loss(
    name: str, class_weights: Sequence[float], gamma: float = 2.0, focal_alpha: str = "weights", label_smoothing: float = 0.0
) -> nn.Module:
    """``ce``, ``weighted_ce`` (torch's weighted mean) or ``focal``."""
    if name == "ce":
        return nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    if name == "weighted_ce":
        return nn.CrossEntropyLoss(weight=torch.tensor(list(class_weights), dtype=torch.float32), label_smoothing=label_smoothing)
    if name == "focal":
        return FocalLoss(gamma=gamma, alpha=class_weights if focal_alpha == "weights" else None)
    raise ValueError(f"Unknown loss {name!r}; choose ce, weighted_ce or focal.")
