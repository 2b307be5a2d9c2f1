"""Every registry test keeps its model files in its own folder."""

from __future__ import annotations

import pytest

from registry import versions as registry
from registry.models import ModelVersion
from tests.conftest import PASSWORD


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


@pytest.fixture
def admin_client_logged_in(client, admin_user):  # type: ignore[no-untyped-def]
    """The Django admin, logged in as a superuser (the admin tests)."""
    client.login(username=admin_user.username, password=PASSWORD)
    return client


def make(tmp_path, model_type: str = "defect", metrics: dict | None = None) -> ModelVersion:  # type: ignore[no-untyped-def]
    """A registered version with a file of its own and metrics the quality gate passes unless told otherwise."""
    source = tmp_path / f"{model_type}-{ModelVersion.objects.count()}.pt"
    source.write_bytes(source.name.encode())
    return registry.register_version(model_type, source, metrics=metrics or {"balanced_accuracy": 0.81, "pass_recall": 0.9})
