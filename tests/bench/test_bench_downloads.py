"""Smoke run of the download benchmark on a small file: both servers answer it whole and the ratios are printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.conftest import run_bench

pytestmark = [pytest.mark.slow]  # starts daphne twice


def test_the_download_benchmark_measures_the_app_against_django_alone(scratch: Path) -> None:
    result = run_bench("bench_downloads.py", "--megabytes", "2", timeout=180)
    assert "Wiresag (DownloadsInPieces)" in result.stdout and "Django alone (baseline)" in result.stdout
    assert result.stdout.count("2 MB received") == 2
    assert not list(scratch.glob("wiresag-*")), "the downloaded file and its database stayed behind"
