"""The trainer's sink inside a worker: every event goes to the database first.

Each epoch writes its ``EpochMetric`` row and an outbox ``RunEvent`` in one
short transaction; the event is published after commit (directly with Redis,
by the web process's relay otherwise). Progress inside an epoch is throttled
to about once a second. ``stop_requested`` reads the run's control field at
most every half second, so a pause or cancel from the browser takes effect
within one batch without a query per batch.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from core.training.events import EpochEvent, ProgressEvent, StopKind
from training.models import EpochMetric, RunEvent, RunLogLine, RunStatus, TrainingRun

logger = logging.getLogger("wiresag.training")

PROGRESS_INTERVAL = 1.0
CONTROL_INTERVAL = 0.5


def json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON: a diverged loss is shown as a gap, not a crash."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


class DatabaseSink:
    """A ``TrainingSink`` writing one run's events to its rows."""

    def __init__(self, run_id: int, worker: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.run_id = run_id
        self.worker = worker
        self.clock = clock
        self.lease_lost = False
        self._last_progress = -math.inf
        self._last_control_check = -math.inf
        self._control: StopKind | None = None

    def _mine(self) -> Any:
        return TrainingRun.objects.filter(pk=self.run_id, worker=self.worker)

    def on_epoch(self, event: EpochEvent) -> None:
        """Store the epoch, then announce it with the run's own estimate of the time left.

        The trainer's ``eta_seconds`` is not used: the page snapshot reads the same estimate
        from the stored epochs, so the time shown does not jump on a reconnect. A replayed epoch
        (see ``EpochEvent``) is stored and announced only if its row is missing.
        """
        if event.replayed and EpochMetric.objects.filter(run_id=self.run_id, epoch=event.epoch).exists():
            return
        with transaction.atomic():
            row, _ = EpochMetric.objects.update_or_create(
                run_id=self.run_id,
                epoch=event.epoch,
                defaults={"metrics": json_safe(event.metrics), "learning_rate": json_safe(event.learning_rate), "seconds": event.seconds},
            )
            run = TrainingRun.objects.without_snapshot().get(pk=self.run_id)
            row.eta_seconds = run.estimate().remaining_seconds
            row.save(update_fields=["eta_seconds"])
            memory = json_safe(event.memory)
            progress = {"epoch": event.epoch, "epochs": event.epochs, "batch": 0, "batches": 0, "memory": memory}
            self._mine().update(progress=progress)
            RunEvent.objects.record(self.run_id, row.as_event(event.epochs, memory))
        self._last_progress = -math.inf

    def on_progress(self, event: ProgressEvent) -> None:
        now = self.clock()
        last_batch = event.batch >= event.batches
        if now - self._last_progress < PROGRESS_INTERVAL and not last_batch:
            return
        self._last_progress = now
        progress = {key: value for key, value in json_safe(event.as_dict()).items() if key != "type"}
        with transaction.atomic():
            self._mine().update(progress=progress)
            RunEvent.objects.record(self.run_id, {"type": "progress", "run": self.run_id, **progress})

    def on_log(self, level: str, message: str) -> None:
        level = level.upper()
        number = logging.getLevelName(level)
        logger.log(number if isinstance(number, int) else logging.INFO, "run %s: %s", self.run_id, message)
        with transaction.atomic():
            RunLogLine.objects.add(self.run_id, level, message)

    def stop_requested(self) -> StopKind | None:
        now = self.clock()
        if now - self._last_control_check < CONTROL_INTERVAL:
            return self._control
        self._last_control_check = now
        row = TrainingRun.objects.filter(pk=self.run_id).values_list("control", "status", "worker").first()
        if row is None or row[1] != RunStatus.RUNNING or row[2] != self.worker:
            # Reaped or taken over: stop at once and leave the row to whoever holds it now.
            self.lease_lost = True
            self._control = "cancel"
        elif row[0] == "pause":
            self._control = "pause"
        elif row[0] == "cancel":
            self._control = "cancel"
        else:
            self._control = None
        return self._control
