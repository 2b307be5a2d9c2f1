"""The scale-out layout with its Redis queue stopped (WIRESAG_QUEUE=redis, docs/operations.md "Scaling out")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse

from tests.live_fixtures import free_port
from training.models import RunStatus, TrainingRun


@pytest.fixture
def stopped_redis_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """django-q2's broker is Redis, as with WIRESAG_QUEUE=redis, at an address where nothing answers (Redis stopped)."""
    from django_q.conf import Conf

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", url)
    yield url


def test_a_run_launched_while_the_redis_queue_is_down_says_so_and_can_be_resumed_later(  # type: ignore[no-untyped-def]
    client, engineer, tiny_library, transactional_db, stopped_redis_queue
) -> None:
    client.force_login(engineer)
    response = client.post(reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu"})
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("training:run_detail", args=[run.pk])
    # Not "Queued" for ever with no task anywhere: interrupted, with a sentence saying why and what to do.
    assert run.status == RunStatus.INTERRUPTED
    assert "The queue did not take this run" in run.error and "resume it once Redis runs again" in run.error
    assert run.error in client.get(response.url).content.decode()

    # Resuming while the queue is still down says the same, instead of a server error.
    response = client.post(reverse("training:control", args=[run.pk, "resume"]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED and "queue" in run.error
