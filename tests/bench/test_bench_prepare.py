"""Smoke run of the preparation benchmark on a few small pictures: every step and its baseline ratio."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_preparation_benchmark_times_every_step_against_its_baseline() -> None:
    result = subprocess.run(
        [sys.executable, "bench/bench_prepare.py", "--pictures", "40", "--size", "128"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "generated 40 pictures at 128 px" in result.stdout
    for line in ("split (grouped, stratified):", "baseline symlinks:", "YOLO set reused", "baseline read+crop+write:"):
        assert line in result.stdout
