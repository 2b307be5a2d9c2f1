"""The shape-learner research benchmark on a made-up finished run (the numbers mean nothing; the harness must be the product's)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.bench.conftest import run_bench

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]


def test_its_product_setting_is_the_products_own_shape_classifier(finished_run: tuple[Path, list[str]]) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_shape_learners as bench
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from core.labels import DEFECTS
    from core.shape.shapehead import fit_shape_head, shape_log_probabilities

    work, wires = finished_run
    rows = bench.traced(work, 0)
    assert sorted({row["wire"] for row in rows}) == wires
    folds = [sorted({row["wire"] for row in rows if row["fold"] == fold}) for fold in (0, 1)]
    name = next(name for name in bench.settings() if name.startswith("product:"))
    harness = bench.settings()[name](rows, folds)
    # The product: fit_shape_head on the training wires' annotated boxes, evidence over both views of the held-out ones.
    expected: dict[str, str] = {}
    for held_out in folds:
        train = [row for row in rows if row["wire"] not in held_out]
        head = fit_shape_head(
            np.array([row["annotated"] for row in train]),
            [row["view"] for row in train],
            [DEFECTS.index(row["truth"]) for row in train],
            len(DEFECTS),
        )
        test = [row for row in rows if row["wire"] in held_out]
        scores = shape_log_probabilities(head, np.array([row["detected"] for row in test]), [row["view"] for row in test])
        evidence: dict[str, np.ndarray] = {}
        for row, log_p in zip(test, scores, strict=True):
            evidence[row["wire"]] = evidence.get(row["wire"], 0) + np.maximum(log_p, np.log(1e-6))
        expected.update({wire: DEFECTS[int(np.argmax(e))] for wire, e in evidence.items()})
    assert dict(zip(harness.wire_ids, harness.wire_predicted, strict=True)) == expected
    assert len(set(expected.values())) > 1  # not a degenerate fit that calls every wire the same


def test_it_prints_every_learner_on_the_runs_folds_and_on_resplits(finished_run: tuple[Path, list[str]]) -> None:
    work, _ = finished_run
    done = run_bench("bench_shape_learners.py", "--workdir", str(work), "--seeds", "0", "--resplits", "2", timeout=600)
    lines = [line for line in done.stdout.splitlines() if "run's folds" in line]
    assert lines[0].startswith("the product (its inspection.json)")
    assert len(lines) == 1 + 12 and all("2 resplits" in line for line in lines[1:])
    assert any(line.startswith("one per wire, both views, LR C 0.1 ") for line in lines)


def test_a_run_without_boxes_is_refused_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "seed0" / "fold0").mkdir(parents=True)
    (tmp_path / "seed0" / "fold0" / "inspection.json").write_text('{"pictures": []}', encoding="utf-8")
    done = run_bench("bench_shape_learners.py", "--workdir", str(tmp_path), "--seeds", "0", timeout=600, succeeds=False)
    assert done.returncode != 0 and "got a box: there is nothing to measure" in done.stderr


def test_without_the_real_pictures_it_says_where_they_should_be(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import bench_selfsupervised

    monkeypatch.setattr(bench_selfsupervised, "REAL_DEV", tmp_path / "nowhere")
    with pytest.raises(SystemExit, match="The real pictures are not at .*nowhere; this benchmark needs ../shared/samples/real-dev"):
        list(bench_selfsupervised.held_out_pictures(tmp_path, 0))
