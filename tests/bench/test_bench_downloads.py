"""Smoke run of the download benchmark on a small file: both servers answer it whole and the ratios are printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]  # starts daphne twice


def test_the_download_benchmark_measures_the_app_against_django_alone(scratch: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_downloads.py", "--megabytes", "2"], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Wiresag (DownloadsInPieces)" in result.stdout and "Django alone (baseline)" in result.stdout
    assert result.stdout.count("2 MB received") == 2
    assert not list(scratch.glob("wiresag-*")), "the downloaded file and its database stayed behind"
