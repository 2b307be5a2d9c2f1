"""The benchmarks' command lines as the docs give them: ``--help`` answers at once and a mistyped flag is refused.

Before, ``bench/bench_annotations.py --help`` (or ``--while-trainig``) ignored the flag and ran the whole benchmark:
100,000 pictures into a throwaway database and a daphne server, which outlived an interrupted run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # a benchmark that starts anyway leaves its data folder here
        start_new_session=True,  # so the whole tree (a daphne it started) can be stopped
    )
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{' '.join(args)} ran the benchmark instead of answering at once")
    return subprocess.CompletedProcess(args, process.returncode, out, err)


@pytest.mark.parametrize("script", ["bench/bench_annotations.py", "bench/bench_synthetic.py"])
def test_help_prints_the_usage_without_running_the_benchmark(script: str, tmp_path: Path) -> None:
    result = _run([script, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout


def test_a_mistyped_flag_is_refused_not_ignored(tmp_path: Path) -> None:
    result = _run(["bench/bench_annotations.py", "--while-trainig"], tmp_path)
    assert result.returncode == 2
    assert "--while-trainig" in result.stderr
