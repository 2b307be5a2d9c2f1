"""``manage.py worker``: django-q2's ``qcluster``, with every process of the cluster tied to its parent.

``serve`` starts this instead of a bare ``qcluster``: if the main process is killed, the
sentinel, the workers and their DataLoader processes end with it (see ``training.worker_processes``).
They also run at a lower CPU priority with a capped number of math threads (``WIRESAG_WORKER_NICE``,
``WIRESAG_WORKER_THREADS``), so the web stays quick while a model trains on the same machine.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from annotations.datafolder import DataFolderProblem, check_data_folder
from training.worker_processes import tie_children_to_parents, yield_to_the_web


class Command(BaseCommand):
    help = "Start the training worker (django-q2 cluster); its processes end when this process ends."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_data_folder()
        except DataFolderProblem as problem:
            raise CommandError(str(problem)) from None
        tie_children_to_parents()
        yield_to_the_web(settings.WORKER_NICE, settings.WORKER_THREADS)
        call_command("qcluster")
