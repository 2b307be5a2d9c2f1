"""Smoke run of the inference benchmark with untrained networks on two small runs: every stage and the ratios."""

from __future__ import annotations

from pathlib import Path

from tests.bench.conftest import run_bench


def test_the_inference_benchmark_times_each_stage_and_compares_with_the_budget(scratch: Path) -> None:
    result = run_bench("bench_inference.py", "--pictures", "2", "--imgsz", "160", "--threads", "1", timeout=180)
    for stage in ("load", "detection", "view", "defect"):
        assert f"  {stage} " in result.stdout
    assert "batch through InferencePipeline.run" in result.stdout
    assert "of the budget" in result.stdout and "faster" in result.stdout
    assert not list(scratch.glob("wiresag-*")), "the pictures and models stayed behind"
