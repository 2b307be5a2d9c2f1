"""Smoke run of the statistics benchmark on a small library: it must keep running as the statistics code changes.

Its numbers are a benchmark's, printed, not checked here; a change of a part's signature once broke it unseen.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_statistics_benchmark_runs_every_part_on_a_small_library(scratch: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_statistics.py", "--pictures", "400"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for part in ("classes and sizes", "boxes per picture", "wires missing a view", "disagreeing wires"):
        assert part in result.stdout
    assert "database: 400 pictures" in result.stdout
    assert not list(scratch.glob("wiresag-*")), "the throwaway database stayed behind"
