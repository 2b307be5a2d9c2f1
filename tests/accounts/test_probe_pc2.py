"""Probes of today's login form: what a wrong password may learn about an account."""

from __future__ import annotations

from unittest import mock

from django.contrib.auth.hashers import MD5PasswordHasher

from accounts.users import create_user_with_role
from tests.conftest import PASSWORD


def _hashes_for_a_wrong_password(client, username: str) -> int:  # type: ignore[no-untyped-def]
    with mock.patch.object(MD5PasswordHasher, "encode", autospec=True, side_effect=MD5PasswordHasher.encode) as encode:
        page = client.post("/login/", {"username": username, "password": "not it"}).content.decode()
    assert "did not match" in page and "switched off" not in page
    return encode.call_count


def test_a_wrong_password_takes_as_long_for_a_switched_off_account_as_for_any_other(client, annotator):
    """Only the right password may learn that an account is switched off: a wrong one hashed the password once more
    for a switched-off account (twice the time), so the time a login took told which accounts were switched off."""
    gone = create_user_with_role("left-the-company", PASSWORD, "annotator")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    switched_off = _hashes_for_a_wrong_password(client, gone.username)
    active = _hashes_for_a_wrong_password(client, annotator.username)
    nobody = _hashes_for_a_wrong_password(client, "no-such-user")
    assert switched_off == active == nobody
