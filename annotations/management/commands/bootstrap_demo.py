"""Fill an empty installation with demo data and a first admin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ADMIN
from accounts.users import create_user_with_role, generate_password
from annotations.demo import DEMO_GROUP, load_synthetic_dataset, wires_problem
from annotations.models import Image


class Command(BaseCommand):
    help = "On an installation's first start (no user yet): generate the synthetic reference data set and create an admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wires", type=int, default=0, help="Number of wires (default: the reference 86).")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        if problem := wires_problem(options["wires"]):
            raise CommandError(problem)
        # Demo data comes with an installation's first start only (no user yet), not whenever the library is empty:
        # scripts/start runs this at every start, and the demo pictures someone deleted to begin with their own came
        # back at the next restart, into the training data. Loaded before the admin is created, so a first start cut
        # off while it generated them finishes them next time (pictures and boxes are added once, by content).
        if get_user_model().objects.exists():
            if not Image.objects.exists():
                self.stdout.write("The library is empty; demo data comes only with an installation's first start, so none was added.")
        elif Image.objects.exclude(wire_group=DEMO_GROUP).exists():
            self.stdout.write("The library already has pictures; no demo data added.")
        else:
            folder = settings.DATA_DIR / "demo"
            count = load_synthetic_dataset(folder, wires=options["wires"] or None, seed=options["seed"])
            self.stdout.write(self.style.SUCCESS(f"Added {count} synthetic demo pictures with their boxes."))
        if not get_user_model().objects.exists():
            password = generate_password()
            create_user_with_role("admin", password, ADMIN)
            self.stdout.write(self.style.SUCCESS("Created the admin user 'admin'."))
            self.stdout.write(f"  Password (shown once, write it down): {password}")
