"""A user's own account pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views

from accounts.forms import LockedOutPasswordChangeForm


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page; a wrong current password counts as a failed login."""

    form_class = LockedOutPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}
