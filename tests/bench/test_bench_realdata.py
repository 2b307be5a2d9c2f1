"""Smoke run of the real-data benchmark: two folds, one epoch each, through the product's whole path.

It proves the benchmark runs end to end on a fresh machine (import, train, infer, score); the
numbers of a one-epoch run mean nothing and are not checked. The full run is a benchmark, not a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.conftest import run_bench

ROOT = Path(__file__).resolve().parents[2]
REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"

pytestmark = [pytest.mark.slow]


def test_the_quick_run_scores_every_held_out_wire_once(tmp_path: Path) -> None:
    assert REAL_DEV.is_dir(), f"the real pictures are missing at {REAL_DEV}; tests read ../shared/samples/real-dev"
    out = tmp_path / "summary.json"
    result = run_bench("bench_realdata.py", "--quick", "--workdir", str(tmp_path / "work"), "--json", str(out), timeout=900)
    data = json.loads(out.read_text())
    assert [(fold["seed"], fold["fold"]) for fold in data["folds"]] == [(0, 0), (0, 1)]
    summary = data["summary"]
    # Every real-dev wire is held out exactly once over the two folds: 57 wires, 114 pictures.
    assert {name: support for name, _, support in summary["wire_recall"]} == {"PASS": 2, "SWEEP": 13, "WOBBLE": 19, "TOUCH": 23}
    assert sum(support for _, _, support in summary["picture_recall"]) == 114
    assert sum(map(sum, summary["wire_confusion"])) == 57
    for key in ("wire_bacc", "wire_bacc_three", "picture_bacc", "view_accuracy", "ap50_TOP", "ap50_SIDE", "extra_boxes_share", "minutes"):
        assert set(summary["scores"][key]) == {"mean", "seed_std", "fold_std", "fold_min", "fold_max", "folds"}
    assert "wire_recall: PASS" in result.stdout
    # The pooled score comes with its interval over the 57 wires (55 without the two PASS wires).
    interval = summary["wire_interval"]
    assert (interval["wire_bacc"]["wires"], interval["wire_bacc_three"]["wires"]) == (57, 55)
    assert interval["wire_bacc_three"]["low"] <= interval["wire_bacc_three"]["estimate"] <= interval["wire_bacc_three"]["high"]
    assert "wire_bacc_three pooled over the folds" in result.stdout
    # Every held-out wire's verdict is split by its confidence: each line counts all 57 wires.
    assert all(row["sure"] + row["unsure"] == 57 for row in summary["wire_trust"]) and len(summary["wire_trust"]) == 5
    assert "wire verdicts by their confidence" in result.stdout

    # Classifier changes are measured on the detectors an earlier run trained: the fold trains none.
    again = tmp_path / "again.json"
    result = run_bench(
        "bench_realdata.py",
        "--quick",
        "--limit-folds",
        "1",
        "--workdir",
        str(tmp_path / "again"),
        "--detectors-from",
        str(tmp_path / "work"),
        "--json",
        str(again),
        timeout=900,
    )
    log = (tmp_path / "again" / "seed0" / "fold0" / "worker.log").read_text()
    assert "training the detection model" not in log and "training the defect model" in log
    assert json.loads(again.read_text())["summary"]["scores"]["ap50_SIDE"]["folds"] == 1
