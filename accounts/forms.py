"""The login form and the user's own password change form."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
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


class LoginForm(AuthenticationForm):
    """Django's login form, saying when the right password belongs to an account an admin switched off.

    Django's backend refuses such an account like a wrong password: a user whose account was switched off while
    their pages were open was told to log in again, then that the password did not match, and tried it until locked out.
    Only the right password learns the account's state (after django-axes counted the refused login as a failure).
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your user name and password did not match. Try again, or ask an admin to reset your password.",
        "inactive": "This account is switched off, so it cannot log in. Ask an admin to switch it on again.",
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and getattr(self.request, "axes_locked_out", False):
                raise
            username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
            account = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
            if account is not None and not account.is_active:
                right = bool(password) and account.check_password(password)
            else:  # hashed all the same: the time a wrong password took told which accounts are switched off
                get_user_model()().set_password(password)
                right = False
            if right:
                raise ValidationError(self.error_messages["inactive"], code="inactive") from None
            raise
