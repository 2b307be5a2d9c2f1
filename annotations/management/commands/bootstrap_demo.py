"""Fill an empty installation with demo data and a first admin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ADMIN
from accounts.users import create_user_with_role, generate_password
from annotations.demo import load_synthetic_dataset, wires_problem
from annotations.models import Image


class Command(BaseCommand):
    help = "When the database is empty: generate the synthetic reference data set and create an admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wires", type=int, default=0, help="Number of wires (default: the reference 86).")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        if problem := wires_problem(options["wires"]):
            raise CommandError(problem)
        if not get_user_model().objects.exists():
            password = generate_password()
            create_user_with_role("admin", password, ADMIN)
            self.stdout.write(self.style.SUCCESS("Created the admin user 'admin'."))
            self.stdout.write(f"  Password (shown once, write it down): {password}")
        if Image.objects.exists():
            self.stdout.write("The library already has pictures; no demo data added.")
            return
        folder = settings.DATA_DIR / "demo"
        count = load_synthetic_dataset(folder, wires=options["wires"] or None, seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(f"Added {count} synthetic demo pictures with their boxes."))
