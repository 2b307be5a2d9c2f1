"""Training runs and their per-epoch metrics. The run row is the truth about a job."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from annotations.choices import ModelType
from training.groups import publish_from_worker


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    SUCCEEDED = "succeeded", "Succeeded"
    INTERRUPTED = "interrupted", "Interrupted"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINAL_STATUSES = (RunStatus.CANCELLED, RunStatus.FAILED, RunStatus.SUCCEEDED)


class Control(models.TextChoices):
    NONE = "", "None"
    PAUSE = "pause", "Pause requested"
    CANCEL = "cancel", "Cancel requested"


class TrainingRunQuerySet(models.QuerySet["TrainingRun"]):
    def active(self) -> TrainingRunQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def lease_expired(self, now: timezone.datetime | None = None) -> TrainingRunQuerySet:
        """Running rows whose worker stopped renewing its lease: the worker died."""
        return self.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now or timezone.now())

    def heartbeat_older_than(self, moment: timezone.datetime) -> TrainingRunQuerySet:
        """Running rows whose worker has not renewed its lease since ``moment``."""
        return self.filter(status=RunStatus.RUNNING, heartbeat_at__lt=moment)


class TrainingRun(models.Model):
    """One training job of one model type."""

    model_type = models.CharField(max_length=9, choices=ModelType.choices)
    status = models.CharField(max_length=11, choices=RunStatus.choices, default=RunStatus.QUEUED)
    #: The exact configuration used, as the trainer's config dataclass serialised to JSON.
    config = models.JSONField(default=dict)
    #: Which annotation revisions went to train and to val:
    #: ``{"train": [[annotation_id, revision], ...], "val": [...], "seed": 0, ...}``.
    dataset_snapshot = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=50, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="", help_text="A sentence for the user.")
    traceback = models.TextField(blank=True, default="")
    # Lease held by the worker running this row; renewed by its heartbeat.
    worker = models.CharField(max_length=100, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    control = models.CharField(max_length=6, choices=Control.choices, blank=True, default=Control.NONE)
    #: Throttled progress inside the epoch: ``{"epoch": 3, "batch": 10, "batches": 40, ...}``.
    progress = models.JSONField(default=dict, blank=True)
    checkpoint_path = models.CharField(max_length=500, blank=True, default="")
    #: Runs launched together by "train all" share a sequence id and run in order.
    sequence = models.CharField(max_length=36, blank=True, default="")
    sequence_index = models.PositiveSmallIntegerField(default=0)

    objects = TrainingRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status"], name="run_status_idx"),
            models.Index(fields=["model_type", "status"], name="run_type_status_idx"),
            models.Index(fields=["sequence", "sequence_index"], name="run_sequence_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="run_status_valid"),
            models.CheckConstraint(condition=Q(model_type__in=ModelType.values), name="run_model_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_model_type_display()} run #{self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def can_pause(self) -> bool:
        return self.status == RunStatus.RUNNING and self.control == Control.NONE

    @property
    def can_cancel(self) -> bool:
        stoppable = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.INTERRUPTED)
        return self.status in stoppable and self.control != Control.CANCEL

    @property
    def can_resume(self) -> bool:
        return self.status in (RunStatus.PAUSED, RunStatus.INTERRUPTED)

    @property
    def run_dir_name(self) -> str:
        """The run's folder under RUNS_DIR (checkpoints and TensorBoard files)."""
        return f"run-{self.pk}"

    def status_payload(self) -> dict[str, Any]:
        """The status event the browser receives when the row changes."""
        return {
            "type": "status",
            "status": self.status,
            "status_display": self.get_status_display(),
            "control": self.control,
            "error": self.error,
            "device": self.device,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "model_type": self.model_type,
            "sequence": self.sequence,
        }

    def lease_for(self, seconds: int) -> None:
        now = timezone.now()
        self.heartbeat_at = now
        self.lease_expires_at = now + timedelta(seconds=seconds)


class EpochMetric(models.Model):
    """The state at the end of one epoch, as the trainer reported it."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="epochs")
    epoch = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    learning_rate = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    eta_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "epoch"]
        constraints = [models.UniqueConstraint(fields=["run", "epoch"], name="epoch_unique_per_run")]

    def __str__(self) -> str:
        return f"run {self.run_id} epoch {self.epoch}"


class RunLogLine(models.Model):
    """A line of a run's log (start, end, warnings, errors) for the live log tail."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, default="INFO")
    message = models.TextField()

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.level}: {self.message[:60]}"


class RunEventQuerySet(models.QuerySet["RunEvent"]):
    def record(self, run_id: int, payload: dict[str, Any]) -> RunEvent:
        """Write one outbox row; after commit, publish it when a cross-process layer is configured."""
        event = self.create(run_id=run_id, payload={**payload, "run": run_id})
        message = {**event.payload, "event_id": event.id}
        transaction.on_commit(lambda: publish_after_commit(run_id, message))
        return event

    def prune(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Live events are only needed while someone watches; metrics and logs stay in their own tables."""
        deleted, _ = self.filter(created_at__lt=timezone.now() - older_than).delete()
        return deleted


def publish_after_commit(run_id: int, message: dict[str, Any]) -> None:
    publish_from_worker(run_id, message)


class RunEvent(models.Model):
    """Outbox of live events (epoch, progress, log, status) for the browser.

    The worker writes a row in the same transaction as the metric it announces.
    With Redis the worker also publishes directly; on the embedded default (no
    cross-process channel layer) the web process relays new rows to its
    websocket groups, so the database stays the truth either way.
    """

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField()

    objects = RunEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payload.get('type', 'event')} of run {self.run_id}"
