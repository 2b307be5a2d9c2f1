"""Re-probing today's changes to the web site: the admin site's own password change."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_guessing_the_current_password_on_the_admins_change_page_is_locked_out_like_a_login(client, admin_user, settings) -> None:  # type: ignore[no-untyped-def]
    """The admin's /admin/password_change/ checked the current password without counting, like the user's own page did."""
    settings.AXES_ENABLED = True
    client.force_login(admin_user)
    form = {"new_password1": "wire loops at dawn 42", "new_password2": "wire loops at dawn 42"}
    for guess in range(settings.AXES_FAILURE_LIMIT * 4):
        if client.post("/admin/password_change/", {"old_password": f"guess {guess}", **form}).status_code == 429:
            break
    found = client.post("/admin/password_change/", {"old_password": PASSWORD, **form})
    assert found.status_code == 429, "the guesses went on without limit"
    assert Client().post("/login/", {"username": admin_user.username, "password": PASSWORD}).status_code == 429


def test_the_admins_password_change_still_changes_the_password(client, admin_user) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin_user)
    form = {"new_password1": "wire loops at dawn 42", "new_password2": "wire loops at dawn 42"}
    wrong = client.post("/admin/password_change/", {"old_password": "not it", **form})
    assert wrong.status_code == 200 and "Your old password was entered incorrectly" in wrong.content.decode()
    changed = client.post("/admin/password_change/", {"old_password": PASSWORD, **form})
    assert changed.status_code == 302 and changed["Location"] == "/admin/password_change/done/"
    assert Client().login(username=admin_user.username, password="wire loops at dawn 42")
