"""Re-probing today's changes to accounts: the password change page and the login lockout."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def change(client: Client, old: str, new: str = "wire loops at dawn 42"):  # type: ignore[no-untyped-def]
    return client.post("/password/", {"old_password": old, "new_password1": new, "new_password2": new}, REMOTE_ADDR="10.7.7.7")


def test_guessing_the_current_password_on_the_change_page_is_locked_out_like_a_login(client, engineer, settings) -> None:  # type: ignore[no-untyped-def]
    """A session left open on a shop-floor PC let anyone try passwords on /password/ without end (the login allows five)
    and so learn the account's password, to log in with after the session ended."""
    settings.AXES_ENABLED = True
    client.force_login(engineer)
    for guess in range(settings.AXES_FAILURE_LIMIT * 4):
        if change(client, f"guess {guess}").status_code == 429:
            break
    found = change(client, PASSWORD)  # the right password, reached by guessing
    assert found.status_code == 429, "the guesses went on without limit"
    assert b"Too many wrong passwords" in found.content
    # The password was not changed, and the account is locked for logins too.
    again = Client().post("/login/", {"username": engineer.username, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    assert again.status_code == 429


def test_a_wrong_current_password_or_two_still_gets_the_forms_sentence(client, engineer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_ENABLED = True
    client.force_login(engineer)
    answer = change(client, "not my password")
    assert answer.status_code == 200
    assert "Your old password was entered incorrectly. Please enter it again." in answer.content.decode()
    assert change(client, PASSWORD).status_code == 302
