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


def test_a_status_the_full_disk_cut_short_keeps_the_last_whole_status_and_the_job(client, engineer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No room for a new status file beside the old (a training's checkpoints filled the disk), and the rewrite in
    place ran out of room half way: ``status.json`` was left cut short, the job's page was a 404 and the job was gone
    from the lists, though its reports were still there."""
    import errno
    import os

    from core import jsonfile
    from review.inspection import list_jobs

    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [1], "conf_threshold": 0.25}, total=1)
    job.state, job.message = "running", "Inspecting."
    filejobs.write_status(root(INSPECTION), job)
    path = root(INSPECTION) / job.id / "status.json"
    real_pwrite = os.pwrite

    def no_room(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    def half_then_full(descriptor: int, data: bytes, offset: int) -> int:  # the blocks of the first half, then none
        monkeypatch.setattr(os, "pwrite", real_pwrite)
        real_pwrite(descriptor, data[: len(data) // 2], offset)
        raise OSError(errno.ENOSPC, "No space left on device")

    def half_then_full_text(self: Path, text: str, *args, **kwargs) -> int:  # the same through a file opened to write
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(text[: len(text) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jsonfile.tempfile, "NamedTemporaryFile", no_room)
    monkeypatch.setattr(os, "pwrite", half_then_full)
    monkeypatch.setattr(Path, "write_text", half_then_full_text)
    job.state, job.message = "failed", filejobs.DISK_FULL.format(what="inspection")
    with pytest.raises(OSError):  # said in the worker's log
        filejobs.write_status(root(INSPECTION), job)
    monkeypatch.undo()

    assert read_status(INSPECTION, job.id).message == "Inspecting."  # the last whole status, not a damaged file
    assert [status.id for status in list_jobs(INSPECTION)] == [job.id]
    client.force_login(engineer)
    assert client.get(reverse("review:job", args=[INSPECTION, job.id])).status_code == 200
    assert path.is_file()


def test_a_status_rewritten_in_place_on_a_full_disk_is_read_whole(monkeypatch) -> None:
    """No room for a new file, but room in the old one: the page says the disk is full (not "running" for ever)."""
    import errno

    from core import jsonfile

    job = filejobs.new_job(root(INSPECTION), INSPECTION, {"versions": {}, "image_ids": [1], "conf_threshold": 0.25}, total=1)
    job.state, job.message = "running", "Inspecting." + " and so on" * 40  # the new status is shorter than the old
    filejobs.write_status(root(INSPECTION), job)

    def no_room(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(jsonfile.tempfile, "NamedTemporaryFile", no_room)
    job.state, job.message = "failed", "Short."
    filejobs.write_status(root(INSPECTION), job)
    monkeypatch.undo()
    assert (read_status(INSPECTION, job.id).state, read_status(INSPECTION, job.id).message) == ("failed", "Short.")
