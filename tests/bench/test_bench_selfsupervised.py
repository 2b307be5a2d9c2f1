"""Smoke run of the self-supervised research benchmark on a made-up finished run (one epoch: the numbers mean nothing)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_DEV = ROOT.parent / "shared" / "samples" / "real-dev"
CLASS = {"沖線": "SWEEP", "晃動": "WOBBLE", "碰觸": "TOUCH", "PASS": "PASS"}

pytestmark = [pytest.mark.slow]


def test_it_pretrains_per_fold_and_judges_every_wire_with_a_box(tmp_path: Path) -> None:
    assert REAL_DEV.is_dir(), f"the real pictures are missing at {REAL_DEV}"
    with sqlite3.connect(REAL_DEV / "annotations.db") as db:
        boxes = db.execute(
            "SELECT i.filepath, a.bbox_x, a.bbox_y, a.bbox_width, a.bbox_height, a.view_type "
            "FROM annotations a JOIN images i ON i.id = a.image_id ORDER BY a.id"
        ).fetchall()
    # Six wires of each defect, both views; a bench_realdata work folder of two folds holding them out.
    wires: dict[str, list[dict]] = {}
    for filepath, x, y, w, h, view in boxes:
        parts = PureWindowsPath(filepath).parts
        defect, name = CLASS[parts[-2]], parts[-1]
        wire = f"{defect}/{name.split('_')[0]}"
        if defect == "PASS" or (wire not in wires and sum(k.startswith(defect) for k in wires) >= 6):
            continue
        probabilities = [0.01, 0.33, 0.33, 0.33]
        found = {"x1": x, "y1": y, "x2": x + w, "y2": y + h, "detection_confidence": 0.9, "defect_probabilities": probabilities}
        wires.setdefault(wire, []).append({"image_name": f"{defect}/{name}", "wire_id": wire, "view": view.upper(), "boxes": [found]})
    assert len(wires) == 18
    for fold in (0, 1):
        folder = tmp_path / "work" / "seed0" / f"fold{fold}"
        folder.mkdir(parents=True)
        held_out = [p for n, wire in enumerate(sorted(wires)) if n % 2 == fold for p in wires[wire]]
        (folder / "inspection.json").write_text(json.dumps({"pictures": held_out}), encoding="utf-8")
    out = tmp_path / "ssl.json"
    done = subprocess.run(
        [sys.executable, "bench/bench_selfsupervised.py", "--workdir", str(tmp_path / "work"), "--seeds", "0", "--epochs", "1"]
        + ["--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "seed 0 fold 1: pretrained without its pictures" in done.stdout
    results = json.loads(out.read_text())
    expected = ["product alone"]
    for boxes in ("detected", "annotated"):  # the regressions learn from the other folds' detected, then annotated boxes
        expected += [f"embedding, C {c}, {boxes} boxes" for c in (0.01, 0.1, 1.0)]
        expected += [f"embedding, C {c}, {boxes} boxes, fused 0.5" for c in (0.01, 0.1, 1.0)]
    assert list(results) == expected
    for outcomes in results.values():
        assert sorted(outcomes[0]["wire_ids"]) == sorted(wires)  # every wire judged once, by the fold that held it out
    assert "product alone " in done.stdout and "95 %" in done.stdout
