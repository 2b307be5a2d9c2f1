"""create_admin with odd names: a clear sentence, never a traceback, never a user Django's own forms refuse."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_a_name_that_unicode_folds_onto_an_existing_user_gets_the_already_exists_sentence() -> None:
    call_command("create_admin", "admin", password="x" * 12)
    # Fullwidth letters: Django stores usernames NFKC-normalised, so this *is* "admin".
    with pytest.raises(CommandError, match="A user named 'admin' already exists; choose another name."):
        call_command("create_admin", "\uff41\uff44\uff4d\uff49\uff4e", password="x" * 12)
    assert User.objects.count() == 1


@pytest.mark.parametrize("name", ["x" * 300, "two words", "slash/name"])
def test_a_name_the_admin_pages_would_refuse_is_refused_with_a_sentence(name: str) -> None:
    with pytest.raises(CommandError, match="cannot be a user name: "):
        call_command("create_admin", name, password="x" * 12)
    assert not User.objects.exists()
