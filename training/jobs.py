"""The life of a training run: queue, claim with a lease, renew, reap, pause, resume, cancel.

The run row is the truth. django-q2 only carries "please run #id"; a worker
must win an atomic conditional UPDATE (queued -> running) before it trains, so
a task delivered twice never trains twice. While training, the worker renews a
lease; a run whose lease expired belongs to a dead worker and becomes
*interrupted*, from which the user can resume (from the last checkpoint). A worker of this
machine whose process is gone is known dead sooner: once its heartbeat is overdue.
Every state change writes a status event to the outbox for the live pages.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone

from training.models import Control, EpochMetric, RunEvent, RunLogLine, RunStatus, TrainingRun
from training.worker_processes import process_is_running

#: A worker renews its lease every HEARTBEAT_SECONDS; one that misses several renewals is dead.
LEASE_SECONDS = 90
HEARTBEAT_SECONDS = 10
#: A run of a worker of this machine whose process ended is interrupted once its heartbeat is this old.
#: The wait keeps a live worker of another PID namespace with the same host name (containers) safe.
STALE_HEARTBEAT_SECONDS = 3 * HEARTBEAT_SECONDS
#: "Train all" runs the models in this order: the view and detection models feed the defect crops.
SEQUENCE_ORDER: tuple[str, ...] = ("view", "detection", "defect")
TASK_FUNCTION = "training.tasks.run_training"


class ControlRefused(Exception):
    """A control that does not apply to the run's current state; the message says why."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def worker_is_gone(worker: str) -> bool:
    """True when ``worker`` (a :func:`worker_name`) ran on this machine and its process has ended."""
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdecimal() and not process_is_running(int(pid))


def record_status(run_id: int) -> None:
    """Write the run's current status to the outbox (inside the caller's transaction)."""
    run = TrainingRun.objects.get(pk=run_id)
    RunEvent.objects.record(run_id, run.status_payload())


def log_line(run_id: int, level: str, message: str) -> None:
    """One line in the run's log tail, announced to the live page."""
    line = RunLogLine.objects.create(run_id=run_id, level=level, message=message)
    RunEvent.objects.record(run_id, {"type": "log", "level": level, "message": message, "at": line.at.isoformat(), "id": line.id})


# --- queueing ---------------------------------------------------------------------------------


def enqueue(run: TrainingRun) -> None:
    """Hand the run to a django-q2 worker (after commit, so the worker sees the row)."""
    from django_q.tasks import async_task

    run_id = run.pk
    transaction.on_commit(lambda: async_task(TASK_FUNCTION, run_id, task_name=f"training-run-{run_id}-{uuid.uuid4().hex[:8]}"))


def create_runs(
    model_types: list[str], configs: dict[str, dict[str, Any]], dataset_snapshots: dict[str, dict[str, Any]], user: Any, device: str = ""
) -> list[TrainingRun]:
    """Create one run, or a "train all" sequence, and queue the first."""
    sequence = uuid.uuid4().hex if len(model_types) > 1 else ""
    with transaction.atomic():
        runs = [
            TrainingRun.objects.create(
                model_type=model_type,
                config=configs[model_type],
                dataset_snapshot=dataset_snapshots[model_type],
                device=device,
                created_by=user if getattr(user, "is_authenticated", False) else None,
                sequence=sequence,
                sequence_index=index,
            )
            for index, model_type in enumerate(model_types)
        ]
        for run in runs:
            log_line(run.pk, "INFO", f"Queued by {getattr(user, 'username', 'the system')}.")
            record_status(run.pk)
        enqueue(runs[0])
    return runs


def next_in_sequence(run: TrainingRun) -> TrainingRun | None:
    if not run.sequence:
        return None
    return TrainingRun.objects.filter(sequence=run.sequence, sequence_index__gt=run.sequence_index).order_by("sequence_index").first()


# --- claiming and the lease -------------------------------------------------------------------


def claim(run_id: int, worker: str, now: datetime | None = None) -> bool:
    """Atomically take a queued run for ``worker``; False when another worker has it or it is no longer queued."""
    now = now or timezone.now()
    with transaction.atomic():
        taken = TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING,
            worker=worker,
            heartbeat_at=now,
            lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
            started_at=now,
            control=Control.NONE,
            error="",
            traceback="",
        )
        if taken:
            log_line(run_id, "INFO", f"Started on worker {worker}.")
            record_status(run_id)
    return bool(taken)


def heartbeat(run_id: int, worker: str, now: datetime | None = None) -> bool:
    """Renew the lease; False when the run is no longer this worker's (reaped or finished)."""
    now = now or timezone.now()
    return bool(
        TrainingRun.objects.filter(pk=run_id, worker=worker, status=RunStatus.RUNNING).update(
            heartbeat_at=now, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS)
        )
    )


def finish(run_id: int, worker: str, status: str, *, error: str = "", traceback: str = "", checkpoint_path: str = "") -> bool:
    """Leave the running state, only if this worker still holds the run."""
    fields: dict[str, Any] = {"status": status, "control": Control.NONE, "lease_expires_at": None, "error": error, "traceback": traceback}
    if status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        fields["finished_at"] = timezone.now()
    if checkpoint_path:
        fields["checkpoint_path"] = checkpoint_path
    with transaction.atomic():
        done = TrainingRun.objects.filter(pk=run_id, worker=worker, status=RunStatus.RUNNING).update(**fields)
        if done:
            record_status(run_id)
    return bool(done)


def reap_expired(now: datetime | None = None) -> list[int]:
    """Mark running rows of dead workers as interrupted; return their ids.

    A worker is dead when it stopped renewing its lease, or sooner when it ran on this
    machine, its process has ended and its heartbeat is overdue. Called when a worker
    starts a task, every minute by a django-q2 schedule and when the dashboard loads,
    so no run stays "running" forever.
    """
    now = now or timezone.now()
    overdue = TrainingRun.objects.heartbeat_older_than(now - timedelta(seconds=STALE_HEARTBEAT_SECONDS))
    dead = list(TrainingRun.objects.lease_expired(now).values_list("id", "worker"))
    dead += [(run_id, worker) for run_id, worker in overdue.values_list("id", "worker") if worker_is_gone(worker)]
    reaped = []
    for run_id, worker in dict(dead).items():
        with transaction.atomic():
            # Still this worker's and still not renewed: a heartbeat renews the lease and the heartbeat together.
            still_dead = Q(lease_expires_at__lt=now) | Q(heartbeat_at__lt=now - timedelta(seconds=STALE_HEARTBEAT_SECONDS))
            changed = TrainingRun.objects.filter(still_dead, pk=run_id, worker=worker, status=RunStatus.RUNNING).update(
                status=RunStatus.INTERRUPTED, control=Control.NONE, lease_expires_at=None
            )
            if changed:
                log_line(run_id, "WARNING", f"Worker {worker} stopped answering; the run is interrupted. Resume it to continue.")
                record_status(run_id)
                reaped.append(run_id)
    return reaped


def periodic_maintenance() -> None:
    """The every-minute schedule: reap dead workers' runs, drop old outbox rows."""
    reap_expired()
    RunEvent.objects.prune()


# --- user controls ----------------------------------------------------------------------------


def request_cancel(run: TrainingRun, user: Any) -> None:
    """Cancel: at once when no worker trains it, else within one batch."""
    who = getattr(user, "username", "the system")
    with transaction.atomic():
        idle = Q(status__in=(RunStatus.QUEUED, RunStatus.PAUSED, RunStatus.INTERRUPTED))
        if TrainingRun.objects.filter(idle, pk=run.pk).update(status=RunStatus.CANCELLED, finished_at=timezone.now(), control=Control.NONE):
            log_line(run.pk, "INFO", f"Cancelled by {who}.")
            cancel_rest_of_sequence(run, f"Cancelled because run #{run.pk} of the same \"train all\" was cancelled.")
        elif TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(control=Control.CANCEL):
            log_line(run.pk, "INFO", f"Cancel requested by {who}; the run stops after the current batch.")
        else:
            raise ControlRefused(f"Run #{run.pk} is {run.get_status_display().lower()}; there is nothing to cancel.")
        record_status(run.pk)


def request_pause(run: TrainingRun, user: Any) -> None:
    """Pause: the trainer stops after the current batch and the worker is freed.

    Checkpoints are written at the end of each epoch, so a resume repeats the epoch that was
    paused from its start; the messages say so rather than promise a checkpoint mid-epoch.
    """
    with transaction.atomic():
        if not TrainingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, control=Control.NONE).update(control=Control.PAUSE):
            raise ControlRefused(f"Run #{run.pk} is not training right now, so it cannot be paused.")
        who = getattr(user, "username", "the system")
        log_line(
            run.pk,
            "INFO",
            f"Pause requested by {who}; training stops after this batch. The checkpoint is the one from the end of the last "
            "finished epoch, so a resume repeats the current epoch from its start.",
        )
        record_status(run.pk)


def request_resume(run: TrainingRun, user: Any) -> None:
    """Resume a paused or interrupted run: queue it again; the worker continues from its checkpoint."""
    with transaction.atomic():
        resumable = Q(status__in=(RunStatus.PAUSED, RunStatus.INTERRUPTED))
        if not TrainingRun.objects.filter(resumable, pk=run.pk).update(status=RunStatus.QUEUED, control=Control.NONE, worker=""):
            raise ControlRefused(f"Run #{run.pk} is {run.get_status_display().lower()}; only paused or interrupted runs can be resumed.")
        log_line(run.pk, "INFO", f"Resume requested by {getattr(user, 'username', 'the system')}.")
        record_status(run.pk)
        enqueue(run)


def cancel_rest_of_sequence(run: TrainingRun, reason: str) -> None:
    """A "train all" stops at the first run that does not succeed."""
    if not run.sequence:
        return
    later = TrainingRun.objects.filter(sequence=run.sequence, sequence_index__gt=run.sequence_index, status=RunStatus.QUEUED)
    for run_id in list(later.values_list("id", flat=True)):
        if TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.CANCELLED, finished_at=timezone.now(), error=reason
        ):
            log_line(run_id, "INFO", reason)
            record_status(run_id)


# --- estimates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    epoch_seconds: float | None
    remaining_seconds: float | None


ETA_WINDOW = 3


def estimate(run: TrainingRun) -> Estimate:
    """Remaining time: moving average of the last epochs; before the first epoch, past runs of the type."""
    epochs_planned = int(run.config.get("epochs") or 0)
    recent = list(run.epochs.order_by("-epoch").values_list("epoch", "seconds")[:ETA_WINDOW])
    if recent:
        per_epoch = sum(seconds for _, seconds in recent) / len(recent)
        done = recent[0][0]
    else:
        past = EpochMetric.objects.filter(run__model_type=run.model_type).exclude(run=run).aggregate(mean=Avg("seconds"))["mean"]
        per_epoch, done = past, 0
    if per_epoch is None or not epochs_planned:
        return Estimate(per_epoch, None)
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED):
        return Estimate(per_epoch, 0.0)
    return Estimate(per_epoch, max(0.0, per_epoch * (epochs_planned - done)))


def queue_eta(run: TrainingRun) -> float | None:
    """For "train all": the time left for this run plus every later run of the sequence still to do."""
    runs = [run]
    if run.sequence:
        runs = list(TrainingRun.objects.filter(sequence=run.sequence, sequence_index__gte=run.sequence_index).order_by("sequence_index"))
    total = 0.0
    for item in runs:
        remaining = estimate(item).remaining_seconds
        if remaining is None:
            return None
        total += remaining
    return total
