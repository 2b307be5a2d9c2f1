"""Access probes: the login lockout, the pages a refused or logged-out user lands on."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


def _login(client, username: str, password: str, address: str = "10.9.9.9"):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_logging_into_ones_own_account_does_not_forgive_guesses_at_another_account(client, annotator, admin_user, settings):
    """An annotator guessing the admin's password, logging in as herself every few guesses, is still locked out."""
    settings.AXES_ENABLED = True
    answered = 0
    for _ in range(3):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            if _login(client, admin_user.username, "wrong").status_code == 429:
                break
            answered += 1
        _login(client, annotator.username, PASSWORD)
        client.post("/logout/")
    assert answered < settings.AXES_FAILURE_LIMIT
    # The admin's account is locked: the right password is refused, from another address too.
    assert _login(client, admin_user.username, PASSWORD, address="10.4.4.4").status_code == 429


def test_logging_in_still_forgives_ones_own_wrong_passwords(client, annotator, settings):
    settings.AXES_ENABLED = True
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _login(client, annotator.username, "wrong").status_code == 200
        assert _login(client, annotator.username, PASSWORD).status_code == 302
        client.post("/logout/")


def test_a_button_pressed_after_the_session_ended_leads_back_to_its_page(client, engineer):
    """A POST-only address as the login's next page answered the browser's GET with an empty 405 page."""
    pressed = client.post("/training/runs/1/cancel/", HTTP_REFERER="http://testserver/training/?x=1")
    assert pressed.status_code == 302 and pressed["Location"].startswith("/login/")
    login_page = client.get(pressed["Location"])
    assert b"so that was not done" in login_page.content
    logged_in = client.post(pressed["Location"], {"username": engineer.username, "password": PASSWORD})
    assert logged_in["Location"] == "/training/?x=1"
    assert client.get(logged_in["Location"]).status_code == 200


@pytest.mark.parametrize("referer", [None, "https://evil.example/training/", "not a url"])
def test_a_button_pressed_from_elsewhere_after_the_session_ended_leads_home(client, engineer, referer):
    headers = {"HTTP_REFERER": referer} if referer else {}
    pressed = client.post("/training/runs/1/cancel/", **headers)
    logged_in = client.post(pressed["Location"], {"username": engineer.username, "password": PASSWORD})
    assert logged_in["Location"] == "/"
