"""Smoke run of the inference benchmark with untrained networks on two small runs: every stage and the ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_inference_benchmark_times_each_stage_and_compares_with_the_budget(scratch: Path) -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_inference.py", "--pictures", "2", "--imgsz", "160", "--threads", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for stage in ("load", "detection", "view", "defect"):
        assert f"  {stage} " in result.stdout
    assert "batch through InferencePipeline.run" in result.stdout
    assert "of the budget" in result.stdout and "faster" in result.stdout
    assert not list(scratch.glob("wiresag-*")), "the pictures and models stayed behind"
