"""Smoke run of the export benchmark on a few real pictures: it must run to its ratio as the code around it changes."""

from __future__ import annotations

from tests.bench.conftest import run_bench


def test_the_export_benchmark_builds_both_zips_and_prints_their_ratio() -> None:
    result = run_bench("bench_export.py", "--pictures", "2", "--repeats", "1")
    assert "2 library pictures" in result.stdout
    assert "pictures deflated" in result.stdout and "pictures stored" in result.stdout
    assert "stored is " in result.stdout and "x the deflated size" in result.stdout
