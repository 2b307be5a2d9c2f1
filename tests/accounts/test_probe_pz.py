"""Probing create_admin as an operator in a hurry types it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


# --- 1. create_admin --password x made an admin with a one-letter password, which every other way in refuses ---------


@pytest.mark.parametrize(("password", "reason"), [("x", "too short"), ("password123", "too common"), ("12345678901", "entirely numeric")])
def test_a_password_the_sites_password_rules_refuse_is_refused_with_a_sentence(password: str, reason: str) -> None:
    with pytest.raises(CommandError, match=rf"--password is refused: .*{reason}.* leave --password out for a generated one"):
        call_command("create_admin", "maria", password=password)
    assert not User.objects.exists()


def test_a_password_like_the_user_name_is_refused() -> None:
    with pytest.raises(CommandError, match="too similar to the username"):
        call_command("create_admin", "margarethe", password="margarethe1")
    assert not User.objects.exists()


def test_a_strong_password_still_makes_the_user() -> None:
    call_command("create_admin", "maria", password="correct horse battery staple")
    assert User.objects.get(username="maria").check_password("correct horse battery staple")
