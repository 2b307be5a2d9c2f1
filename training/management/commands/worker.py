"""``manage.py worker``: django-q2's ``qcluster``, with every process of the cluster tied to its parent.

``serve`` starts this instead of a bare ``qcluster``: if the main process is killed, the
sentinel, the workers and their DataLoader processes end with it (see ``training.worker_processes``).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from training.worker_processes import tie_children_to_parents


class Command(BaseCommand):
    help = "Start the training worker (django-q2 cluster); its processes end when this process ends."

    def handle(self, *args: Any, **options: Any) -> None:
        tie_children_to_parents()
        call_command("qcluster")
