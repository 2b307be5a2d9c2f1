"""The training job the web benchmarks run beside the server: stopped, it leaves nothing behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from bench._server import trainer

pytestmark = [pytest.mark.slow]  # trains a real (tiny) model until its first epoch


def test_a_killed_training_job_leaves_no_folder_in_the_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The job is killed, so it never cleaned its own folder: every run of bench_live_latency (four jobs) or
    # bench_annotations --while-training left about 67 MB per job in /tmp.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with trainer(nice=0, threads=1):
        assert list(tmp_path.glob("wiresag-bench-trainer-*"))
    assert not list(tmp_path.glob("wiresag-bench-trainer-*"))
