"""The scale-out profile with real servers: PostgreSQL, Redis as channel layer and queue, two workers.

Two ``manage.py worker`` processes, each started from its own working directory as on two hosts,
share one data folder and one database. Two trainings and one inspection are queued on Redis at
once. Each job runs exactly once, both trainings succeed, the inspection's report is written, the
live events of both runs reach a subscriber through Redis, and a worker on a host without the
shared folder refuses to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_fixtures import free_port
from tests.tiny_models import TinyModels, tiny_models
from tests.wiresag_web.test_postgresql import postgres_url  # noqa: F401
from training.groups import run_group

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SETUP = Path(__file__).with_name("setup_jobs.py")
STATUS = """
import json
from training.models import TrainingRun, RunLogLine
from review.inspection import INSPECTION, read_status
from django_q.brokers import get_broker
runs = {{r.pk: [r.status, r.worker] for r in TrainingRun.objects.filter(pk__in={runs})}}
starts = {{pk: RunLogLine.objects.filter(run_id=pk, message__startswith="Started on worker").count() for pk in runs}}
errors = {{pk: [l.message for l in RunLogLine.objects.filter(run_id=pk, level__in=["ERROR", "WARNING"])] for pk in runs}}
print(json.dumps({{"runs": runs, "starts": starts, "inspection": read_status(INSPECTION, "{job}").as_dict(),
                  "broker": type(get_broker()).__name__, "errors": errors}}))
"""


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: install Debian's redis-server (scripts/test does)."
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return tiny_models(tmp_path_factory.getbasetemp() / "tiny-models")


def manage(env: dict[str, str], *args: str, cwd: Path = ROOT, timeout: int = 300) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


async def collect_events(url: str, runs: list[int], seconds: float) -> dict[int, set[str]]:
    """Subscribe to both runs' groups on Redis, as every web process does, and gather the event types."""
    from channels_redis.core import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[{"address": url}])
    channel = await layer.new_channel()
    for run in runs:
        await layer.group_add(run_group(run), channel)
    seen: dict[int, set[str]] = {run: set() for run in runs}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all({"epoch", "status"} <= types for types in seen.values()):
        try:
            message = await asyncio.wait_for(layer.receive(channel), timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            break
        payload = message["payload"]
        seen[payload["run"]].add(payload["type"])
    await layer.flush()
    return seen


def test_two_workers_on_postgresql_and_redis_share_the_work_and_the_live_events(  # type: ignore[no-untyped-def]
    postgres_url: str,  # noqa: F811
    redis_url: str,
    models: TinyModels,
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared-data"
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    for name in ("detection", "view", "defect"):
        shutil.copyfile(getattr(models, name), tiny / f"{name}.pt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    env.update(
        WIRESAG_DEBUG="1",
        WIRESAG_DATA_DIR=str(shared),
        WIRESAG_DATABASE_URL=postgres_url,
        WIRESAG_REDIS_URL=redis_url,
        WIRESAG_QUEUE="redis",
        WIRESAG_SECRET_KEY="scale-out test key " + "k" * 40,
        WIRESAG_MIN_SAMPLES_PER_CLASS="1",
        OMP_NUM_THREADS="1",
        TINY_MODELS=str(tiny),
        PYTHONPATH=str(ROOT),
    )
    manage(env, "migrate", "--noinput")

    # A worker on a host that does not mount the shared folder refuses to start, saying so.
    manage(env, "shell", "-c", "from annotations.datafolder import check_data_folder; check_data_folder()")
    lonely = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "worker"],
        env={**env, "WIRESAG_DATA_DIR": str(tmp_path / "local-disk")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert lonely.returncode != 0 and "is not the one this installation uses" in lonely.stderr

    workers = []
    for host in ("host-a", "host-b"):
        home = tmp_path / host
        home.mkdir()
        log = (home / "worker.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, str(ROOT / "manage.py"), "worker"],
                cwd=home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        time.sleep(8)  # both clusters up and waiting on Redis
        assert all(worker.poll() is None for worker in workers), [(tmp_path / h / "worker.log").read_text() for h in ("host-a", "host-b")]
        queued: dict[str, Any] = json.loads(manage(env, "shell", "-c", SETUP.read_text()).strip().splitlines()[-1])
        runs, job = queued["runs"], queued["inspection"]
        events = asyncio.run(collect_events(redis_url, runs, seconds=180))
        state: dict[str, Any] = {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = json.loads(manage(env, "shell", "-c", STATUS.format(runs=runs, job=job)).strip().splitlines()[-1])
            if all(status in ("succeeded", "failed") for status, _ in state["runs"].values()) and state["inspection"]["finished"]:
                break
            time.sleep(3)
    finally:
        for worker in workers:
            os.killpg(worker.pid, 9)
            worker.wait(timeout=10)
    logs = [(tmp_path / h / "worker.log").read_text() for h in ("host-a", "host-b")]
    assert state["broker"] == "Redis"  # the queue is Redis, not the database
    assert [status for status, _ in state["runs"].values()] == ["succeeded", "succeeded"], (state["errors"], state, logs)
    assert set(state["starts"].values()) == {1}, state  # each run started exactly once
    assert len({worker for _, worker in state["runs"].values()}) == 2, state  # the two runs trained side by side
    assert state["inspection"]["state"] == "done" and state["inspection"]["done"] == state["inspection"]["total"] > 0, state
    assert (shared / "inspections" / job / "report.csv").is_file()
    assert all({"epoch", "status"} <= types for types in events.values()), events  # live from both workers, via Redis
