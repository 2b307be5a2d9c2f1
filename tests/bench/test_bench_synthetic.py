"""Smoke run of the synthetic generator's timing: it must keep running as the generator changes."""

from __future__ import annotations

from tests.bench.conftest import run_bench


def test_the_synthetic_benchmark_times_a_render_and_a_written_picture() -> None:
    result = run_bench("bench_synthetic.py")
    assert "s per picture; render + PNG:" in result.stdout
