"""Smoke run of the statistics benchmark on a small library: it must keep running as the statistics code changes.

Its numbers are a benchmark's, printed, not checked here; a change of a part's signature once broke it unseen.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.conftest import run_bench


def test_the_statistics_benchmark_runs_every_part_on_a_small_library(scratch: Path) -> None:
    result = run_bench("bench_statistics.py", "--pictures", "400", timeout=300)
    for part in ("classes and sizes", "boxes per picture", "wires missing a view", "disagreeing wires"):
        assert part in result.stdout
    assert "database: 400 pictures" in result.stdout
    assert not list(scratch.glob("wiresag-*")), "the throwaway database stayed behind"
