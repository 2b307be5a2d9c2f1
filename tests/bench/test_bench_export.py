"""Smoke run of the export benchmark on a few real pictures: it must run to its ratio as the code around it changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_export_benchmark_builds_both_zips_and_prints_their_ratio() -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_export.py", "--pictures", "2", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 library pictures" in result.stdout
    assert "pictures deflated" in result.stdout and "pictures stored" in result.stdout
    assert "stored is " in result.stdout and "x the deflated size" in result.stdout
