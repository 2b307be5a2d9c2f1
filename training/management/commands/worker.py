"""``manage.py worker``: django-q2's ``qcluster``, with every process of the cluster tied to its parent.

``serve`` starts this instead of a bare ``qcluster``: if the main process is killed, the
sentinel, the workers and their DataLoader processes end with it (see ``training.worker_processes``).
They also run at a lower CPU priority with a capped number of math threads (``WIRESAG_WORKER_NICE``,
``WIRESAG_WORKER_THREADS``), so the web stays quick while a model trains on the same machine.

Two clusters run: the main one trains (one run per worker process, ``WIRESAG_WORKERS``), and a
small one on the quick queue (``settings.QUICK_QUEUE``, ``WIRESAG_QUICK_WORKERS``) runs
inspections, pre-annotations and the maintenance schedules, so none of them waits behind a training
run that lasts hours. ``--queue`` starts only one of them (a GPU host that should only train).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.datafolder import DataFolderProblem, check_data_folder
from training.worker_processes import die_with_parent, process_is_ending, tie_children_to_parents, yield_to_the_web

logger = logging.getLogger("wiresag.training")

#: How long a stop signal waits to see whether the same signal ended the cluster's sentinel, where ``/proc`` cannot say
#: whether it got the signal too (not Linux).
SENTINEL_GRACE_SECONDS = 1.0

#: How long the main process waits for a sentinel that got the same signal to end before it ends itself.
SENTINEL_END_SECONDS = 10.0

#: django-q2 reads the cluster's name (and so its queue and its ALT_CLUSTERS settings) from here at import.
CLUSTER_VARIABLE = "Q_CLUSTER_NAME"


class Command(BaseCommand):
    help = "Start the background worker (django-q2 clusters); its processes end when this process ends."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue",
            choices=("all", "training", "quick"),
            default="all",
            help="all (default): the training cluster and the quick one (inspections, pre-annotations, maintenance); "
            "training or quick: only that one.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue = options["queue"]
        if queue == "quick" and os.environ.get(CLUSTER_VARIABLE) != settings.QUICK_QUEUE:
            # django-q2 took its configuration when it was imported: start again with the quick cluster's name.
            os.execve(sys.executable, quick_command(), {**os.environ, CLUSTER_VARIABLE: settings.QUICK_QUEUE})
        try:
            check_data_folder()
        except DataFolderProblem as problem:
            raise CommandError(str(problem)) from None
        tie_children_to_parents()
        yield_to_the_web(settings.WORKER_NICE, settings.WORKER_THREADS)
        if queue == "all":
            parent = os.getpid()
            subprocess.Popen(  # noqa: S603 - our own command line
                quick_command(),
                env={**os.environ, CLUSTER_VARIABLE: settings.QUICK_QUEUE},
                preexec_fn=lambda: die_with_parent(parent),  # noqa: PLW1509 - only prctl, safe after fork
            )
        call_command("qcluster")
        stop_also_on_a_signal_to_the_whole_group()


def stop_also_on_a_signal_to_the_whole_group() -> None:
    """Make the cluster's stop signals end it when the whole process group gets them, not only its main process.

    ``qcluster`` returns once the cluster runs; the main process then waits for the sentinel to end. On SIGTERM or
    SIGINT django-q2 sets the stop event and waits for the sentinel to wake. A SIGTERM sent to every process (``systemctl
    stop``, ``kill -- -PGID``, a container's init) also kills the sentinel, whose SIGTERM is left at the default, while it
    waits on that event: the main process then waited for the dead sentinel for ever. When the sentinel got the signal
    too, its processes end with it (parent-death signal, ``tie_children_to_parents``) and the main process ends at once.

    Whether it got the signal is read from ``/proc`` (pending, exiting or ended), not guessed from whether it ended
    within a second: at nice 19 on a busy machine the sentinel could take longer to die, the main process then took
    the signal for its own, and django-q2's stop waited for ever for the dying sentinel to wake (1 run in 4 of
    ``tests/training/test_probe_ps.py`` beside a full test run).
    """
    cluster_stop = signal.getsignal(signal.SIGTERM)
    sentinel = getattr(getattr(cluster_stop, "__self__", None), "sentinel", None)
    if sentinel is None or not callable(cluster_stop):
        return

    def stop(signum: int, frame: Any) -> None:
        ending = process_is_ending(sentinel.pid, signum)
        if ending is None:  # /proc cannot say: did the same signal end it within a moment?
            sentinel.join(timeout=SENTINEL_GRACE_SECONDS)
            ending = sentinel.exitcode is not None
        if not ending:  # the signal came to this process only: django-q2 stops the cluster
            cluster_stop(signum, frame)
            return
        sentinel.join(timeout=SENTINEL_END_SECONDS)
        logger.info("The worker cluster's sentinel ended with signal %s; the worker stops.", signum)
        logging.shutdown()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def quick_command() -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker", "--queue", "quick"]
