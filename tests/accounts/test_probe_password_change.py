"""A user changes their own password: behind the login, with a sentence for a wrong old password, staying logged in."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "wire loops at dawn 42"


def change(client: Client, old: str, new: str = NEW_PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/password/", {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_a_user_changes_their_own_password_and_stays_logged_in(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """There was no page for it: a user had to ask an admin to change a password they may have told someone."""
    client.login(username=annotator.username, password=PASSWORD)
    page = client.get("/password/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    answer = change(client, PASSWORD)
    assert answer.status_code == 302 and answer["Location"] == "/password/done/"
    assert b"Your password was changed" in client.get(answer["Location"]).content
    assert client.get("/").status_code == 200, "the session outlived the change"
    fresh = Client()
    assert not fresh.login(username=annotator.username, password=PASSWORD)
    assert fresh.login(username=annotator.username, password=NEW_PASSWORD)


def test_a_wrong_old_password_is_said_and_changes_nothing(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    answer = change(client, "not my password")
    assert answer.status_code == 200
    assert "Your old password was entered incorrectly. Please enter it again." in answer.content.decode()
    assert Client().login(username=annotator.username, password=PASSWORD)


def test_a_new_password_the_validators_refuse_is_said(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    answer = change(client, PASSWORD, new="1234")
    assert answer.status_code == 200
    assert "This password is too short." in answer.content.decode()


def test_the_page_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/password/")
    assert answer.status_code == 302 and answer["Location"] == "/login/?next=/password/"


def test_a_user_without_a_role_may_still_change_their_password(client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    django_user_model.objects.create_user("nobody", password=PASSWORD)
    client.login(username="nobody", password=PASSWORD)
    assert change(client, PASSWORD).status_code == 302


def test_the_change_needs_the_csrf_token(annotator) -> None:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.login(username=annotator.username, password=PASSWORD)
    assert change(client, PASSWORD).status_code == 403
    assert Client().login(username=annotator.username, password=PASSWORD)


def test_the_header_links_the_users_name_to_the_change(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.login(username=annotator.username, password=PASSWORD)
    assert 'href="/password/"' in client.get("/").content.decode()
