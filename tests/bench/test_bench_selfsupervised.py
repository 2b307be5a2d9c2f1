"""Smoke run of the self-supervised research benchmark on a made-up finished run (one epoch: the numbers mean nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import run_bench

pytestmark = [pytest.mark.slow]


def test_it_pretrains_per_fold_and_judges_every_wire_with_a_box(tmp_path: Path, finished_run: tuple[Path, list[str]]) -> None:
    work, wires = finished_run
    out = tmp_path / "ssl.json"
    done = run_bench("bench_selfsupervised.py", "--workdir", str(work), "--seeds", "0", "--epochs", "1", "--json", str(out), timeout=600)
    assert "seed 0 fold 1: pretrained without its pictures" in done.stdout
    results = json.loads(out.read_text())
    expected = ["product alone"]
    for boxes in ("detected", "annotated"):  # the regressions learn from the other folds' detected, then annotated boxes
        expected += [f"embedding, C {c}, {boxes} boxes" for c in (0.01, 0.1, 1.0)]
        expected += [f"embedding, C {c}, {boxes} boxes, fused 0.5" for c in (0.01, 0.1, 1.0)]
    assert list(results) == expected
    for outcomes in results.values():
        assert sorted(outcomes[0]["wire_ids"]) == wires  # every wire judged once, by the fold that held it out
    assert "product alone " in done.stdout and "95 %" in done.stdout
