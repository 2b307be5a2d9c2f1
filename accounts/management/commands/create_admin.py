"""Create the first admin (or any user with a role)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import ADMIN, ROLES
from accounts.users import create_user_with_role, generate_password


class Command(BaseCommand):
    help = "Create a user with a role (default: admin). Prints a generated password once unless --password is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", default="admin")
        parser.add_argument("--role", choices=ROLES, default=ADMIN)
        parser.add_argument("--password", help="Use this password instead of a generated one (the site's password rules apply).")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password"]:
            # The password page and the admin's user form check these rules; a one-letter admin password must not slip in here.
            candidate = get_user_model()(username=options["username"], email=options["email"])
            try:
                password_validation.validate_password(options["password"], candidate)
            except ValidationError as error:
                raise CommandError(
                    f"--password is refused: {' '.join(error.messages)} Choose a stronger one, or leave --password out for a generated one."
                ) from None
        password = options["password"] or generate_password()
        try:
            create_user_with_role(options["username"], password, options["role"], options["email"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Created {options['role']} {options['username']!r}.")
        if not options["password"]:
            self.stdout.write(f"Password (shown once, write it down): {password}")
