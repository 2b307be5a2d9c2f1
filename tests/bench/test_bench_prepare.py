"""Smoke run of the preparation benchmark on a few small pictures: every step and its baseline ratio."""

from __future__ import annotations

from tests.bench.conftest import run_bench


def test_the_preparation_benchmark_times_every_step_against_its_baseline() -> None:
    result = run_bench("bench_prepare.py", "--pictures", "40", "--size", "128")
    assert "generated 40 pictures at 128 px" in result.stdout
    for line in ("split (grouped, stratified):", "baseline symlinks:", "YOLO set reused", "baseline read+crop+write:"):
        assert line in result.stdout
