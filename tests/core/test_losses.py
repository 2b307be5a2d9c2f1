from __future__ import annotations

import math

import pytest
import torch

from core.training.losses import FocalLoss, build_loss


def _hand_log_softmax(row: list[float]) -> list[float]:
    total = math.log(sum(math.exp(v) for v in row))
    return [v - total for v in row]


LOGITS = [[2.0, 0.5, -1.0, 0.0], [0.1, 0.2, 0.3, 0.4], [-1.0, 3.0, 0.0, 0.5]]
TARGET = [0, 3, 2]
WEIGHTS = [11.33, 1.70, 1.17, 1.00]


def test_focal_loss_matches_hand_computed_value():
    expected = 0.0
    for row, t in zip(LOGITS, TARGET, strict=True):
        log_p = _hand_log_softmax(row)[t]
        expected += -WEIGHTS[t] * (1 - math.exp(log_p)) ** 2 * log_p
    expected /= len(TARGET)
    loss = FocalLoss(gamma=2.0, alpha=WEIGHTS)(torch.tensor(LOGITS), torch.tensor(TARGET))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_focal_loss_without_focus_is_cross_entropy():
    loss = FocalLoss(gamma=0.0)(torch.tensor(LOGITS), torch.tensor(TARGET))
    expected = -sum(_hand_log_softmax(r)[t] for r, t in zip(LOGITS, TARGET, strict=True)) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_weighted_cross_entropy_is_the_weighted_mean():
    terms = [(WEIGHTS[t], -_hand_log_softmax(r)[t]) for r, t in zip(LOGITS, TARGET, strict=True)]
    expected = sum(w * v for w, v in terms) / sum(w for w, _ in terms)
    loss = build_loss("weighted_ce", WEIGHTS)(torch.tensor(LOGITS), torch.tensor(TARGET))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_focal_without_alpha_ignores_weights():
    loss = build_loss("focal", WEIGHTS, gamma=2.0, focal_alpha="none")
    assert loss.alpha is None
