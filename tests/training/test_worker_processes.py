"""``manage.py serve`` runs the worker cluster so that all its processes end with it.

Killing the cluster's main process with SIGKILL (what the OOM killer does) must not leave its
sentinel or workers training and scheduling on their own; the run they held becomes interrupted
and a fresh worker resumes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import torch
from django.conf import settings as django_settings
from django.utils import timezone

from core.training.classifier import resumed_message
from core.training.layout import WEIGHTS_DIR
from tests.live_fixtures import children, free_port, process_env
from training import models
from training.models import EpochMetric, RunLogLine, RunStatus, TrainingRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def process_state(pid: int) -> str | None:
    """The kernel's one-letter state of ``pid`` (``Z`` for a zombie), None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def is_alive(pid: int) -> bool:
    return process_state(pid) not in (None, "Z")


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children(pending.pop()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_cluster_main_process_ends_all_its_processes_and_the_run_resumes(  # type: ignore[no-untyped-def]
    queue_view_run, start_worker, engineer, wait_for_status, settings, tmp_path
) -> None:
    run = queue_view_run(epochs=4, patience=0)
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "serve", "--port", str(free_port())],
        cwd=django_settings.BASE_DIR,
        env=process_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    cluster: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while not EpochMetric.objects.filter(run=run).exists():
            assert serve.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        [main] = [pid for pid in children(serve.pid) if "wiresag_web.server" not in command_line(pid)]
        cluster = {main} | descendants(main)
        # The main process, the sentinel, one worker, the monitor and the pusher.
        assert len(cluster) >= 5, [command_line(pid) for pid in cluster]
        os.kill(main, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while any(is_alive(pid) for pid in cluster) and time.monotonic() < deadline:
            time.sleep(0.1)
        survivors = [command_line(pid) for pid in cluster if is_alive(pid)]
        assert survivors == [], f"processes of the killed cluster still run: {survivors}"
        # serve noticed that its worker is gone and stopped the web server too.
        assert serve.wait(timeout=30) != 0
        assert "The worker process stopped" in log.read_text()
    finally:
        for pid in cluster:
            if is_alive(pid):
                os.kill(pid, signal.SIGKILL)
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)

    run.refresh_from_db()
    killed_at = EpochMetric.objects.filter(run=run).count()
    assert run.status == RunStatus.RUNNING and killed_at < 4
    # An epoch is recorded before last.pt claims it: killed in between, the checkpoint is one epoch behind.
    last = run.folder / WEIGHTS_DIR / "last.pt"
    checkpoint_epoch = int(torch.load(last, weights_only=True)["epoch"]) if last.is_file() else 0
    assert killed_at - checkpoint_epoch in (0, 1), (killed_at, checkpoint_epoch)
    # Nobody renews the heartbeat. Once it is overdue the reaper sees that the worker's process is
    # gone and interrupts the run, well before the lease alone would have run out.
    overdue = timezone.now() + timedelta(seconds=models.STALE_HEARTBEAT_SECONDS + 1)
    assert overdue < run.lease_expires_at
    assert TrainingRun.objects.reap_expired(now=overdue) == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED

    run.request_resume(engineer)
    start_worker()
    finished = wait_for_status(run, {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
    assert finished.status == RunStatus.SUCCEEDED, (finished.error, finished.traceback)
    resumed = RunLogLine.objects.filter(run=run, message=resumed_message(checkpoint_epoch, 4)).exists()
    assert resumed == (checkpoint_epoch > 0)  # from the checkpoint; with none yet, from the start
    assert list(EpochMetric.objects.filter(run=run).values_list("epoch", flat=True)) == [1, 2, 3, 4]


def nice_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])  # field 19: nice


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_worker_cluster_yields_the_cpu_to_the_web(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every process of ``manage.py worker`` runs at the lower priority with the capped math threads."""
    env = {**process_env(django_settings), "WIRESAG_WORKER_NICE": "7", "WIRESAG_WORKER_THREADS": "3"}
    env.pop("OMP_NUM_THREADS", None)
    own_nice = os.nice(0)
    worker = subprocess.Popen(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "worker"],
        env=env,
        stdout=(tmp_path / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while len(descendants(worker.pid)) < 2 and time.monotonic() < deadline:  # the sentinel and its workers
            time.sleep(0.2)
        cluster = [worker.pid, *descendants(worker.pid)]
        assert len(cluster) >= 3, (tmp_path / "worker.log").read_text()
        assert {nice_of(pid) for pid in cluster} == {own_nice + 7}
        # What a task in a worker sees: the thread cap torch reads when it starts, and the priority.
        from django_q.tasks import async_task, result

        threads, nice = async_task("os.getenv", "OMP_NUM_THREADS"), async_task("os.nice", 0)
        assert result(threads, wait=60_000) == "3"
        assert result(nice, wait=60_000) == own_nice + 7
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
