"""An engineer whose role is taken away, whose account is switched off or who logs out stops getting live training events."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.training.test_consumers import live_event_after, session_cookie
from training.models import TrainingRun


@pytest.fixture
def running_run(transactional_db) -> TrainingRun:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    TrainingRun.objects.claim(run.pk, "w1")
    return run


def _take_role(user: User) -> None:
    user.groups.clear()


def _deactivate(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def _log_out(user: User) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("revoke", [_take_role, _deactivate, _log_out], ids=["role-removed", "account-deactivated", "logged-out"])
def test_an_open_run_page_stops_streaming_once_the_engineer_loses_access(running_run: TrainingRun, engineer, revoke) -> None:  # type: ignore[no-untyped-def]
    line = "secret: picture w042_TOP.png of lot 7 is a TOUCH"
    leaked = live_event_after(running_run, session_cookie(engineer), lambda: revoke(engineer), line)
    assert leaked is None, f"a user without access still got the live event {leaked!r}"
