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

import os
import socket

from training.models import RunEvent, TrainingRun

#: "Train all" runs the models in this order: the view and detection models feed the defect crops.
SEQUENCE_ORDER: tuple[str, ...] = ("view", "detection", "defect")


def worker_name() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def periodic_maintenance() -> None:
    """The every-minute schedule: reap dead workers' runs, go on with "train all" sequences a dead worker left, queue
    again the runs whose task was lost, drop old outbox rows."""
    TrainingRun.objects.reap_expired()
    TrainingRun.objects.continue_stranded_sequences()
    TrainingRun.objects.requeue_lost()
    RunEvent.objects.prune()
