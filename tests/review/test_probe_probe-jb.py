"""Inspection and pre-annotation jobs whose worker died, and status files on a full disk."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.urls import reverse

from core import filejobs
from review.inspection import INSPECTION, PREANNOTATION, read_status, root

REPOSITORY = Path(__file__).resolve().parents[2]

#: A worker as django-q2 runs one: its own process, running the job through ``filejobs.run_job`` until it is killed.
WORKER = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from core import filejobs
filejobs.run_job(Path(sys.argv[2]), sys.argv[3], lambda status: time.sleep(60), starting="Loading the models.")
"""


@pytest.fixture(autouse=True)
def _jobs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"


def _running_in_a_worker(kind: str) -> tuple[filejobs.JobStatus, subprocess.Popen[bytes]]:
    job = filejobs.new_job(root(kind), kind, {"versions": {}, "image_ids": [1], "conf_threshold": 0.25}, total=1)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(REPOSITORY), str(root(kind)), job.id])
    deadline = time.monotonic() + 20
    while read_status(kind, job.id).state != "running":
        assert worker.poll() is None and time.monotonic() < deadline, "the worker did not start the job"
        time.sleep(0.05)
    return job, worker


@pytest.mark.parametrize("kind", [INSPECTION, PREANNOTATION])
def test_a_job_whose_worker_was_killed_says_at_once_that_it_was_cut_off_and_may_run_again(client, engineer, kind) -> None:  # type: ignore[no-untyped-def]
    """The worker was killed (SIGKILL, the OOM killer): the page said "running" for ten minutes, until the status
    file was old enough, though the process that ran it was known to be gone on this very machine."""
    job, worker = _running_in_a_worker(kind)
    worker.kill()
    worker.wait()
    client.force_login(engineer)

    answer = client.get(reverse("review:job_status", args=[kind, job.id])).json()
    assert answer["state"] == "failed"
    assert "stopped half way" in answer["message"] and "Start it again" in answer["message"]
    assert 'id="run-again"' in client.get(reverse("review:job", args=[kind, job.id])).content.decode()


def test_a_job_whose_worker_still_runs_keeps_running() -> None:
    job, worker = _running_in_a_worker(INSPECTION)
    try:
        assert read_status(INSPECTION, job.id).state == "running"
    finally:
        worker.kill()
        worker.wait()


def test_a_job_run_by_a_worker_on_another_machine_is_cut_off_only_after_its_silence() -> None:
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [1], "conf_threshold": 0.25}, total=1)
    job.state, job.owner = "running", "another-host:4026531836:12345:987654"
    filejobs.write_status(root(INSPECTION), job)
    assert read_status(INSPECTION, job.id).state == "running"
