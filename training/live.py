"""The state a live page starts from: everything it shows, read from the database.

A page applies this snapshot, then the events that follow; after a reconnect it gets a
fresh snapshot, so a lost message never leaves a gap. Every part of the snapshot is the
event the outbox carries for it (``TrainingRun.status_event``, ``EpochMetric.as_event``,
``RunLogLine.as_event``, ``TrainingRun.progress_event``), so the page has one way to apply each.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from training.models import TrainingRun

LOG_TAIL = 200


def run_state(run: TrainingRun) -> dict[str, Any]:
    memory = (run.progress or {}).get("memory")
    rows = list(run.epochs.order_by("epoch"))
    epochs = [row.as_event(run.epochs_planned, memory if row is rows[-1] else None) for row in rows]
    log = [line.as_event() for line in reversed(run.log_lines.order_by("-id")[:LOG_TAIL])]
    return {
        "type": "snapshot",
        "run": run.pk,
        "status": run.status_event(),
        "config": run.config,
        "progress": run.progress_event(),
        "epochs": epochs,
        "log": log,
    }


def run_row(run: TrainingRun) -> dict[str, Any]:
    """One line of the dashboard of all runs."""
    return {
        "run": run.pk,
        "model_type": run.model_type,
        "model_type_display": run.model_display,
        "status": run.status,
        "status_display": run.get_status_display(),
        "progress": run.progress,
        "epochs": run.epochs_planned,
        "created_at": run.created_at.isoformat(),
        # As the other pages show times: in the app's time zone (WIRESAG_TIME_ZONE), not the stored UTC.
        "created": timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        "url": reverse("training:run_detail", args=[run.pk]),
    }


def dashboard_state(limit: int = 100) -> dict[str, Any]:
    return {"type": "snapshot", "runs": [run_row(run) for run in TrainingRun.objects.without_snapshot()[:limit]]}
