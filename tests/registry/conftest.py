"""Every registry test keeps its model files in its own folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _models_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()


def evaluated(confusion: list[list[int]], classes: tuple[str, ...] = ("PASS", "SWEEP", "WOBBLE", "TOUCH"), **extra: float) -> dict:  # type: ignore[type-arg]
    """A version's metrics as the trainer writes them: a real evaluation of the predictions a confusion matrix holds.

    Row i, column j of ``confusion`` counts pictures of class i predicted as class j.
    """
    from core.evaluation.contract import ModelMetrics
    from core.evaluation.metrics import evaluate

    truth = [i for i, row in enumerate(confusion) for j, count in enumerate(row) for _ in range(count)]
    pred = [j for i, row in enumerate(confusion) for j, count in enumerate(row) for _ in range(count)]
    return ModelMetrics.from_evaluation(evaluate(truth, pred, classes), **extra).to_json()
