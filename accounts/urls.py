"""A user's own account: changing the password (Django's views; the session stays valid after the change)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

# No namespace: Django's password change view sends the user on to "password_change_done" by that name.
urlpatterns = [
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
