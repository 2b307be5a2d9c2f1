"""/health/ in the scale-out layout: Redis carries the live events and (WIRESAG_QUEUE=redis) the queue."""

from __future__ import annotations

import pytest

from tests.live_fixtures import free_port
from tests.scaleout.test_two_workers import redis_url  # noqa: F401

pytestmark = pytest.mark.django_db


def test_health_says_when_redis_does_not_answer(client, settings) -> None:  # type: ignore[no-untyped-def]
    """Redis stopped: every launch and inspection failed and no live page updated, while /health/ answered "ok"."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    problem = response.json()["problem"]
    assert problem.startswith("Redis (WIRESAG_REDIS_URL) does not answer") and "127.0.0.1" not in problem


def test_health_is_ok_with_redis_running(client, settings, redis_url) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    settings.REDIS_URL = redis_url
    response = client.get("/health/")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
