"""The login lockout (django-axes), with one change: a login forgives only its own account's wrong passwords."""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest


class OwnAccountResetHandler(AxesDatabaseHandler):
    """django-axes' database handler, whose reset on a successful login keeps other accounts' failures.

    Its own reset removes every failure from the login's address too, those counted against other
    accounts included: anyone with an account could guess another's password without end by logging
    into their own after every few guesses. A login proves only its own password.
    """

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        deleted, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return int(deleted)
