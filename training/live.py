"""The state a live page starts from: everything it shows, read from the database.

A page applies this snapshot, then the events that follow; after a reconnect
it gets a fresh snapshot, so a lost message never leaves a gap.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from training import jobs
from training.models import RunEvent, TrainingRun

LOG_TAIL = 200


def run_state(run: TrainingRun) -> dict[str, Any]:
    epochs = [
        {
            "epoch": row.epoch,
            "epochs": int(run.config.get("epochs") or 0),
            "metrics": row.metrics,
            "learning_rate": row.learning_rate,
            "seconds": row.seconds,
            "eta_seconds": row.eta_seconds,
        }
        for row in run.epochs.order_by("epoch")
    ]
    log = [
        {"id": line.id, "level": line.level, "message": line.message, "at": line.at.isoformat()}
        for line in reversed(run.log_lines.order_by("-id")[:LOG_TAIL])
    ]
    estimate = jobs.estimate(run)
    return {
        "type": "snapshot",
        "run": run.pk,
        "last_event_id": RunEvent.objects.filter(run=run).order_by("-id").values_list("id", flat=True).first() or 0,
        "status": run.status_payload(),
        "config": run.config,
        "progress": run.progress,
        "epochs": epochs,
        "log": log,
        "epoch_seconds": estimate.epoch_seconds,
        "remaining_seconds": estimate.remaining_seconds,
        "queue_remaining_seconds": jobs.queue_eta(run) if run.sequence else None,
        "report_url": _report_url(run),
    }


def _report_url(run: TrainingRun) -> str:
    """The evaluation report of the version this run registered, when there is one."""
    version = getattr(run, "model_version", None)  # the registry's one-to-one (a floor above; no import)
    if version is None:
        return ""
    return reverse("registry:detail", args=[version.pk])


def run_row(run: TrainingRun) -> dict[str, Any]:
    """One line of the dashboard of all runs."""
    return {
        "run": run.pk,
        "model_type": run.model_type,
        "model_type_display": run.get_model_type_display(),
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress": run.progress,
        "epochs": int(run.config.get("epochs") or 0),
        "created_at": run.created_at.isoformat(),
        "url": reverse("training:run_detail", args=[run.pk]),
    }


def dashboard_state(limit: int = 100) -> dict[str, Any]:
    return {"type": "snapshot", "runs": [run_row(run) for run in TrainingRun.objects.all()[:limit]]}
