"""A synthetic benchmark given too few wires says how many it needs, before generating anything."""

from __future__ import annotations

import pytest

from tests.bench.conftest import run_bench


@pytest.mark.parametrize(
    ("script", "arguments", "minimum"),
    [
        ("bench_prepare.py", ["--pictures", "42", "--size", "64"], "take 44 or more"),
        ("bench_train_overhead.py", ["--wires", "21", "--epochs", "1"], "take 22 or more"),
    ],
)
def test_too_small_a_set_is_refused_with_the_smallest_that_works(script: str, arguments: list[str], minimum: str) -> None:
    # It used to generate the set, then die on the split: a traceback telling to "annotate more PASS wires".
    result = run_bench(script, *arguments, succeeds=False)
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert minimum in result.stderr and "Traceback" not in result.stderr
