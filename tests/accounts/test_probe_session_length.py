"""How long a login lasts: one shift by default, set by WIRESAG_SESSION_HOURS."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_login_lasts_one_shift_by_default(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """A session lasted Django's two weeks: a shared shop-floor PC stayed logged in as the last user for days."""
    answer = client.post("/login/", {"username": annotator.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert int(answer.cookies["sessionid"]["max-age"]) == 12 * 3600


def test_the_session_length_is_set_by_an_environment_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.wiresag_web.test_settings import run_manage

    script = "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"
    shorter = run_manage(["shell", "-c", script], tmp_path, WIRESAG_DEBUG="1", WIRESAG_SESSION_HOURS="8")
    assert shorter.stdout.strip().splitlines()[-1] == str(8 * 3600), shorter.stderr[-500:]
    refused = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_SESSION_HOURS="0")
    assert refused.returncode != 0 and "WIRESAG_SESSION_HOURS=0 is too small: it must be at least 1." in refused.stderr
