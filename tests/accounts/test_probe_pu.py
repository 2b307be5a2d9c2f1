"""An installation upgraded from before a login lasted one shift: the logins made before end within one shift too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

#: The accounts app before logins lasted one shift (2026-12-06): sessions were saved with Django's two weeks.
BEFORE = [("accounts", "0002_admin_role_is_staff")]


@pytest.mark.django_db(transaction=True)
def test_a_login_made_before_the_upgrade_ends_within_one_shift_of_it(client, annotator, settings) -> None:  # type: ignore[no-untyped-def]
    """A shared shop-floor PC logged in before the upgrade stayed logged in as its last user until two weeks after that
    login: the session's end was stored when it was made, so WIRESAG_SESSION_HOURS (12) never applied to it."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    client.force_login(annotator)  # the login of yesterday morning, as the older code saved it: for Django's two weeks
    yesterday = timezone.now() - timedelta(days=1)
    Session.objects.update(expire_date=yesterday + timedelta(seconds=1209600))

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    session = Session.objects.get()
    assert session.expire_date <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert SessionStore(session.session_key).load()  # not ended at once by the upgrade: the shift goes on
    assert client.get("/library/").status_code == 200
