"""Create the first admin (or any user with a role)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ADMIN, ROLES
from accounts.users import create_user_with_role, generate_password


class Command(BaseCommand):
    help = "Create a user with a role (default: admin). Prints a generated password once unless --password is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="admin")
        parser.add_argument("--role", choices=ROLES, default=ADMIN)
        parser.add_argument("--password", help="Use this password instead of a generated one.")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or generate_password()
        try:
            create_user_with_role(options["username"], password, options["role"], options["email"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Created {options['role']} {options['username']!r}.")
        if not options["password"]:
            self.stdout.write(f"Password (shown once, write it down): {password}")
