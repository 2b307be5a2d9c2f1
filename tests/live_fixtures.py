"""Fixtures for live training tests: a tiny annotated data set, a real worker process, a private Redis.

Shared with the browser test through ``tests.live_fixtures``."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from annotations.choices import Source
from annotations.ingest import ingest_image
from annotations.models import Annotation
from core.data import synthetic
from core.training.config import load_config, to_json
from training.models import RunStatus, TrainingRun
from training.snapshot import build_snapshot, snapshot_run_json

#: Two wires per class at 96 px: enough to split, small enough to train in seconds on a CPU.
TINY_COUNTS = {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}
TINY_VIEW_SETTINGS = {"epochs": 2, "image_size": 32, "batch": 8, "samples_every": 1000, "device": "cpu"}


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux, from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdecimal():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ingest_synthetic(folder: Path, counts: dict[str, int] = TINY_COUNTS, image_size: int = 96) -> int:
    samples = synthetic.generate(folder, counts, image_size=image_size)
    for sample in samples:
        with transaction.atomic():
            image = ingest_image(Path(sample.path).read_bytes(), sample.filename, wire_group="tiny").image
            x, y, width, height = sample.box
            Annotation.objects.create(
                image=image, x=x, y=y, width=width, height=height, view=sample.view, defect=sample.defect, source=Source.HUMAN
            )
    return len(samples)


@pytest.fixture
def tiny_library(db, tmp_path, settings) -> int:  # type: ignore[no-untyped-def]
    """Sixteen small annotated pictures in the library; returns their count.

    They are stored in the data folder's ``media/``, where a worker or web process started by the test reads them (not in
    the test's own media folder): a run reads each picture where the library keeps it.
    """
    settings.MEDIA_ROOT = Path(settings.DATA_DIR) / "media"
    return ingest_synthetic(tmp_path / "synthetic")


@pytest.fixture
def tiny_snapshot(transactional_db, tiny_library) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return snapshot_run_json(build_snapshot(val_fraction=0.3))


@pytest.fixture
def queue_view_run(tiny_snapshot: dict[str, Any], engineer) -> Callable[..., TrainingRun]:  # type: ignore[no-untyped-def]
    def queue(**overrides: Any) -> TrainingRun:
        config = to_json(load_config("view", "cpu-quick", overrides={**TINY_VIEW_SETTINGS, **overrides}))
        return TrainingRun.objects.launch(["view"], {"view": config}, {"view": tiny_snapshot}, engineer, device="cpu")[0]

    return queue


def database_url() -> str:
    """The test database as a URL: with the same SQLite options as the settings, or the PostgreSQL test database."""
    if connection.vendor == "postgresql":  # the suite run with WIRESAG_DATABASE_URL: pytest-django's test_<name> database
        db = connection.settings_dict
        password = f":{quote(str(db['PASSWORD']), safe='')}" if db.get("PASSWORD") else ""
        return f"postgres://{quote(str(db['USER']), safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    options = "&".join(f"{key}={quote(str(value))}" for key, value in settings.DATABASES["default"].get("OPTIONS", {}).items())
    return f"sqlite:///{connection.settings_dict['NAME']}?{options}"


class Worker:
    """``manage.py worker`` in its own process group, as ``serve`` runs it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole cluster: what a power cut or the OOM killer does."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def process_env(settings: Any) -> dict[str, str]:
    """What a worker or web process needs to share this test's database, data folder and secret."""
    return {
        **os.environ,
        "WIRESAG_DATABASE_URL": database_url(),
        # django-q2 signs queued tasks with the secret key: the worker must share it.
        "WIRESAG_SECRET_KEY": settings.SECRET_KEY,
        "WIRESAG_REDIS_URL": settings.REDIS_URL,
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def start_worker(transactional_db, tmp_path, settings) -> Iterator[Callable[[], Worker]]:  # type: ignore[no-untyped-def]
    workers: list[Worker] = []
    env = process_env(settings)

    def start() -> Worker:
        worker = Worker(env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()


@pytest.fixture
def daphne_server(transactional_db, tmp_path, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The real web server (daphne, websockets, outbox relay) on a free port; yields its base URL.

    Request it before fixtures that add pictures: the server reads media from the
    data folder, so the pictures must land there rather than in the test's own folder.
    """
    settings.MEDIA_ROOT = Path(settings.DATA_DIR) / "media"
    port = free_port()
    log = tmp_path / "daphne.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "wiresag_web.server", "-b", "127.0.0.1", "-p", str(port), "wiresag_web.asgi:application"],
        cwd=settings.BASE_DIR,
        env=process_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(params=["embedded", "redis"])
def deployment(request, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Both ways the app runs: the in-memory layer plus the outbox relay, or channels_redis."""
    if request.param == "embedded":
        yield "embedded"
        return
    server = shutil.which("redis-server")
    assert server, "redis-server is missing: install Debian's redis-server (scripts/test does)."
    port = free_port()
    subprocess.run([server, "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize", "yes"], check=True)
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    # redis-py 8 reads with a 5 s socket timeout, as long as channels_redis's blocking pop: give it room.
    host = {"address": url, "socket_timeout": 30}
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}}
    try:
        yield "redis"
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)


def _wait_for_status(run: TrainingRun, statuses: set[str], timeout: float = 90.0) -> TrainingRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in statuses:
            return run
        time.sleep(0.2)
    raise AssertionError(f"Run {run.pk} stayed {run.status}; expected one of {sorted(statuses)}.")


@pytest.fixture
def wait_for_status() -> Callable[..., TrainingRun]:
    """Poll the run row (the truth) until it reaches one of the statuses."""
    return _wait_for_status


@pytest.fixture
def final_statuses() -> set[str]:
    return {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
