"""The scale-out profile with real servers: PostgreSQL, Redis as channel layer and queue, two workers.

Two ``manage.py worker`` processes, each started from its own working directory as on two hosts,
share one data folder and one database. Two trainings and one inspection are queued on Redis at
once. Each job runs exactly once, both trainings succeed, the inspection's report is written, the
live events of both runs reach a subscriber through Redis, and a worker on a host without the
shared folder refuses to start. Then a third, long run loses its worker mid-training (SIGKILL to
the worker's whole process tree): it is marked interrupted, resumes on the other worker from its
checkpoint and succeeds, having run once per start.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from tests.live_fixtures import children, free_port
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

#: Long enough that the worker is killed mid-run: the poll notices the second epoch within about a second.
LONG_EPOCHS = 12
LONG_RUN = """
import json
from core.training.config import load_config, to_json
from tests.live_fixtures import TINY_VIEW_SETTINGS
from training.models import TrainingRun
from training.snapshot import build_snapshot, snapshot_run_json
config = to_json(load_config("view", "cpu-quick", overrides={**TINY_VIEW_SETTINGS, "epochs": {LONG_EPOCHS}, "patience": 0}))
snapshot = snapshot_run_json(build_snapshot(val_fraction=0.3))
run = TrainingRun.objects.launch(["view"], {"view": config}, {"view": snapshot}, None, device="cpu")[0]
print(json.dumps(run.pk))
"""
RESUME = "from training.models import TrainingRun; TrainingRun.objects.get(pk={run}).request_resume(None)"


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children(todo.pop()):
            found.add(child)
            todo.append(child)
    return found


def query(env: dict[str, str], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows straight from the shared PostgreSQL database: polling through ``manage.py shell`` cost 2 s of CPU a poll."""
    import psycopg

    with psycopg.connect(env["WIRESAG_DATABASE_URL"]) as connection:
        return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]


def long_status(env: dict[str, str], run: int) -> dict[str, Any]:
    """The long run's status, worker, log lines and recorded epochs."""
    [(status, worker)] = query(env, "SELECT status, worker FROM training_trainingrun WHERE id = %s", run)
    lines = [list(row) for row in query(env, "SELECT level, message FROM training_runlogline WHERE run_id = %s ORDER BY id", run)]
    epochs = [epoch for (epoch,) in query(env, "SELECT epoch FROM training_epochmetric WHERE run_id = %s ORDER BY id", run)]
    return {"status": status, "worker": worker, "lines": lines, "epochs": epochs}


def wait_for(env: dict[str, str], run: int, done: Any, seconds: float) -> dict[str, Any]:
    """Poll the long run's row until ``done(state)`` holds; return the last state."""
    deadline = time.monotonic() + seconds
    while True:
        state = long_status(env, run)
        if done(state) or time.monotonic() > deadline:
            return state
        time.sleep(1)


def kill_mid_run_and_resume(env: dict[str, str], workers: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    """Kill the worker (host) training a long run after its second epoch; the run is reaped, resumed elsewhere, finished.

    After two recorded epochs a checkpoint exists (an epoch is recorded just before last.pt claims it).
    """
    run = json.loads(manage(env, "shell", "-c", LONG_RUN.replace("{LONG_EPOCHS}", str(LONG_EPOCHS))).strip().splitlines()[-1])
    state = wait_for(env, run, lambda s: s["status"] == "running" and len(s["epochs"]) >= 2, 120)
    assert state["status"] == "running" and state["epochs"], state
    holder = int(state["worker"].rpartition(":")[2])
    victim = next(w for w in workers if holder in descendants(w.pid))
    os.killpg(victim.pid, 9)
    victim.wait(timeout=10)
    killed_at = len(state["epochs"])
    # The survivor's every-minute schedule reaps it: the lease on another host, the dead process here.
    state = wait_for(env, run, lambda s: s["status"] != "running", 180)
    assert state["status"] == "interrupted", state
    manage(env, "shell", "-c", RESUME.format(run=run))
    state = wait_for(env, run, lambda s: s["status"] in ("succeeded", "failed", "cancelled"), 240)
    return {"run": run, "killed_worker": holder, "killed_at_epoch": killed_at, **state}


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
    from redis.exceptions import TimeoutError as RedisTimeout

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
        except RedisTimeout:  # the socket's own read timeout on a busy machine: read again until the deadline
            continue
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
        status_file = shared / "inspections" / job / "status.json"
        while time.monotonic() < deadline:
            finished = {status for (status,) in query(env, "SELECT status FROM training_trainingrun WHERE id = ANY(%s)", runs)}
            inspection = json.loads(status_file.read_text()) if status_file.is_file() else {}
            if finished <= {"succeeded", "failed"} and inspection.get("state") in ("done", "failed"):
                break
            time.sleep(1)
        state = json.loads(manage(env, "shell", "-c", STATUS.format(runs=runs, job=job)).strip().splitlines()[-1])
        interrupted = kill_mid_run_and_resume(env, workers)
    finally:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):  # the one killed mid-run is gone already
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

    # The killed worker's run: interrupted with a sentence, resumed from its checkpoint on the other worker, finished once.
    assert interrupted["status"] == "succeeded", interrupted
    messages = [message for _, message in interrupted["lines"]]
    starts = [m for m in messages if m.startswith("Started on worker")]
    assert len(starts) == 2 and str(interrupted["killed_worker"]) in starts[0] and interrupted["worker"] in starts[1], messages
    assert not starts[1].endswith(f":{interrupted['killed_worker']}."), messages
    assert any("stopped answering; the run is interrupted" in m for m in messages), messages
    assert any(m.startswith("Resuming the") for m in messages), messages  # from the checkpoint, not from epoch 1
    # Each epoch's row once, none missing: the trainer records an epoch before its checkpoint claims it.
    epochs = interrupted["epochs"]
    assert sorted(epochs) == list(range(1, LONG_EPOCHS + 1)), epochs
