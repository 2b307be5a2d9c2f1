"""The registry's answers to what training tells it (``training.signals``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.dispatch import receiver

from registry.versions import register_version
from training.models import TrainingRun
from training.signals import run_succeeded

if TYPE_CHECKING:  # the trainer (and torch) stay out of the web process
    from core.training.runner import TrainResult


@receiver(run_succeeded, dispatch_uid="registry.register_trained_run")
def register_trained_run(sender: type[TrainingRun], run: TrainingRun, result: TrainResult, **kwargs: Any) -> str:
    """Register the run's best checkpoint as a new model version; the sentence goes to the run's log."""
    view_scope = run.config.get("view_scope", "all")
    version = register_version(
        run.model_type,
        result.best_checkpoint,
        metrics=dict(result.metrics),
        config=run.config,
        dataset_size=sum(len(run.dataset_snapshot.get("records", {}).get(split, [])) for split in ("train", "val")),
        training_run=run,
        view_scope="" if view_scope == "all" else view_scope,
    )
    return f"registered model version {version.name}"
