"""Smoke run of the synthetic generator's timing: it must keep running as the generator changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_synthetic_benchmark_times_a_render_and_a_written_picture() -> None:
    result = subprocess.run([sys.executable, "bench/bench_synthetic.py"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "s per picture; render + PNG:" in result.stdout
