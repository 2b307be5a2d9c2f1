"""The review-order benchmark orders real boxes with the product's own queue and scores how early the wrong ones come."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review.prediction import LOW_CONFIDENCE, RISK_TIERS
from tests.bench.conftest import run_bench


def _picture(wire: str, view: str, defect: str, confidence: float) -> dict[str, object]:
    box = {"x1": 100.0, "y1": 100.0, "x2": 300.0, "y2": 170.0, "view": view, "defect": defect}
    box.update(detection_confidence=0.95, view_confidence=0.95, defect_confidence=confidence)
    return {"image_name": f"{wire}_{view}.jpg", "wire_id": wire, "view": view, "boxes": [box]}


def test_the_product_order_puts_the_wrong_boxes_of_disagreeing_wires_first(tmp_path: Path, scratch: Path) -> None:
    # Two wires whose views disagree, each with one wrong box (less sure than its right one); three calm wires, two of
    # them unsure but right: with the disagreeing wires first the two wrong boxes lead the queue.
    pictures = [
        _picture("SWEEP/001", "TOP", "SWEEP", 0.9),
        _picture("SWEEP/001", "SIDE", "TOUCH", 0.7),
        _picture("TOUCH/001", "TOP", "SWEEP", 0.7),
        _picture("TOUCH/001", "SIDE", "TOUCH", 0.9),
        _picture("WOBBLE/001", "TOP", "WOBBLE", 0.3),
        _picture("WOBBLE/001", "SIDE", "WOBBLE", 0.3),
        _picture("WOBBLE/002", "TOP", "WOBBLE", 0.35),
        _picture("WOBBLE/002", "SIDE", "WOBBLE", 0.35),
        _picture("TOUCH/002", "TOP", "TOUCH", 0.9),
        _picture("TOUCH/002", "SIDE", "TOUCH", 0.9),
    ]
    fold = tmp_path / "work" / "seed0" / "fold0"
    fold.mkdir(parents=True)
    (fold / "inspection.json").write_text(json.dumps({"pictures": pictures}))
    out = tmp_path / "order.json"
    result = run_bench("bench_review_order.py", "--workdir", str(tmp_path / "work"), "--seeds", "0", "--json", str(out), timeout=300)
    assert not list(scratch.glob("wiresag-*")), "the throwaway database stayed behind"
    data = json.loads(out.read_text())
    assert data["baseline"] == pytest.approx(0.2)  # 2 wrong of 10
    scores = {(tuple(row["tiers"]), row["line"]): row for row in data["settings"]}
    product = scores[(RISK_TIERS, LOW_CONFIDENCE)]
    assert product["ap"] == pytest.approx(1.0) and product["first_quarter"] == pytest.approx(1.0)
    assert product["first_tier"] == pytest.approx(0.4)
    # Low confidence first shows the four unsure right boxes before the wrong ones.
    unsure_first = scores[(("low confidence", "views disagree", "rare class (PASS)"), 0.6)]
    assert unsure_first["ap"] == pytest.approx((1 / 5 + 2 / 6) / 2)
    assert product["ap"] == max(row["ap"] for row in data["settings"]) and "<- the product's" in result.stdout
