"""A user's own account: changing the password (Django's views; the session stays valid after the change, and a wrong
current password counts towards the login lockout)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts.views import PasswordChangeView

# No namespace: Django's password change view sends the user on to "password_change_done" by that name.
urlpatterns = [
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
