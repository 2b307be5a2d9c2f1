"""A made-up finished ``bench_realdata.py`` run for the research benchmarks that read one."""

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


def run_bench(script: str, *args: str, timeout: int = 120, succeeds: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``bench/<script>`` with ``args`` from the repository root, as a user would; by default it must succeed
    (the failure shows the end of its output)."""
    result = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if succeeds:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture
def finished_run(tmp_path: Path) -> tuple[Path, list[str]]:
    """A work folder (``seed0/fold0``, ``fold1``) whose inspections hold out six real wires of each defect.

    Each picture's "detected" box is its annotated one and the product's probabilities are flat.
    Returns the work folder and the wires.
    """
    assert REAL_DEV.is_dir(), f"the real pictures are missing at {REAL_DEV}"
    with sqlite3.connect(REAL_DEV / "annotations.db") as db:
        boxes = db.execute(
            "SELECT i.filepath, a.bbox_x, a.bbox_y, a.bbox_width, a.bbox_height, a.view_type "
            "FROM annotations a JOIN images i ON i.id = a.image_id ORDER BY a.id"
        ).fetchall()
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
    return tmp_path / "work", sorted(wires)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private temporary directory (``TMPDIR``) for the benchmarks run here, to see what they leave in it.

    A benchmark's throwaway folders are named ``wiresag-*``; the libraries' caches (torch's) may stay.
    """
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder
