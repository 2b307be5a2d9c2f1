"""``/health/worker/`` says whether a worker runs tasks, apart from ``/health/`` (which must not fail over a worker)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from training import jobs


def test_the_worker_health_follows_the_maintenance_schedule(client, db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path  # a data folder no other test's maintenance has marked
    never = client.get("/health/worker/")
    assert never.status_code == 503
    assert "No worker has run the every-minute maintenance in this data folder yet" in never.json()["problem"]
    assert client.get("/health/").status_code == 200  # the web hosts stay in the load balancer

    jobs.periodic_maintenance()  # what the quick cluster runs every minute
    fresh = client.get("/health/worker/")
    assert fresh.status_code == 200 and fresh.json()["status"] == "ok" and fresh.json()["maintenance_seconds_ago"] <= 5

    mark = Path(settings.DATA_DIR) / jobs.MAINTENANCE_MARK
    twenty_minutes_ago = time.time() - 20 * 60
    os.utime(mark, (twenty_minutes_ago, twenty_minutes_ago))
    stale = client.get("/health/worker/")
    assert stale.status_code == 503
    assert stale.json()["problem"].startswith("No worker has run the every-minute maintenance for 20 minutes")
    assert str(settings.DATA_DIR) not in stale.content.decode()  # anyone may ask: no paths
