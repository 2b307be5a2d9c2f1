"""The user's own password change form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class LockedOutPasswordChangeForm(PasswordChangeForm):
    """Django's form, whose current password is checked as a login checks it (through django-axes).

    Django's own check does not count wrong passwords: a session left open on a shared PC let anyone try
    passwords on the change page without end, and learn the one to log in with once the session ended.
    Here each wrong one counts towards the account's and the address's lockout, and a locked account's
    page answers with the lockout page.
    """

    def __init__(self, user: Any, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.get_username(), password=old_password) is None:
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password
