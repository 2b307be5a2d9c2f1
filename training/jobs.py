"""Who a worker is, and the every-minute maintenance schedule.

The life of a training run (queue, claim with a lease, renew, reap, pause, resume, cancel)
lives on ``TrainingRun`` and its QuerySet (``training.models``). The run row is the truth:
django-q2 only carries "please run #id"; a worker must win an atomic conditional UPDATE
(queued -> running) before it trains, so a task delivered twice never trains twice. While
training, the worker renews a lease; a run whose lease expired belongs to a dead worker and
becomes *interrupted*, from which the user can resume (from the last checkpoint). A worker
of this machine whose process is gone is known dead sooner: once its heartbeat is overdue.
Every state change writes a status event to the outbox for the live pages.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

from django.conf import settings

from training.models import RunEvent, TrainingRun

logger = logging.getLogger("wiresag.training")

#: "Train all" runs the models in this order: the view and detection models feed the defect crops.
SEQUENCE_ORDER: tuple[str, ...] = ("view", "detection", "defect")


def worker_name() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


#: Touched by each run of the maintenance schedule, in the data folder every host shares: ``/health/worker/`` reads it.
MAINTENANCE_MARK = ".maintenance-ran"

#: The schedule runs every minute: a mark this old means no quick cluster runs tasks.
MAINTENANCE_OVERDUE_SECONDS = 3 * 60


def periodic_maintenance() -> None:
    """The every-minute schedule: reap dead workers' runs, go on with "train all" sequences a dead worker left, queue
    again the runs whose task was lost, drop old outbox rows; then mark that a worker ran it."""
    TrainingRun.objects.reap_expired()
    TrainingRun.objects.continue_stranded_sequences()
    TrainingRun.objects.requeue_lost()
    RunEvent.objects.prune()
    try:
        (Path(settings.DATA_DIR) / MAINTENANCE_MARK).touch()
    except OSError as error:  # a full or read-only disk: /health/ says so; the maintenance itself is done
        logger.warning("Could not mark the maintenance as run: %s", error)


def maintenance_seconds_ago(now: float | None = None) -> float | None:
    """Seconds since a worker last ran the maintenance schedule; None when none ever did in this data folder."""
    try:
        ran = (Path(settings.DATA_DIR) / MAINTENANCE_MARK).stat().st_mtime
    except OSError:
        return None
    return max(0.0, (time.time() if now is None else now) - ran)


def expire_datasets(now: float | None = None) -> list[str]:
    """The hourly schedule: delete the prepared data sets no run has used for ``DATASET_EXPIRE_DAYS``; return their names.

    Every run prepares its crops (or the detector's pictures) under ``DATASETS_DIR`` and reuses them while its snapshot
    and settings are unchanged; without this, a library trained on weekly keeps a copy of its pictures per run. The sets
    of unfinished runs stay however old: a paused or interrupted run resumes with its own.
    """
    from core.data.prepare import remove_unused

    def needed() -> set[str]:
        return TrainingRun.objects.unfinished().dataset_folders(settings.DATASETS_DIR)

    removed = remove_unused(settings.DATASETS_DIR, settings.DATASET_EXPIRE_DAYS * 24 * 3600, needed, now)
    if removed:
        logger.info("Deleted %d prepared data sets unused for %d days: %s.", len(removed), settings.DATASET_EXPIRE_DAYS, ", ".join(removed))
    return removed
