"""The contact-measures research benchmark: its clearance measure on drawn pictures, and a real smoke run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from tests.bench.conftest import ROOT, run_bench


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import bench_contact_measures

    return bench_contact_measures


def _wire_with_block(gap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """A 200 x 100 light picture with a dark wire along row 50 and, ``gap`` rows below it, a dark block."""
    picture = np.full((100, 200), 200.0, dtype=np.float32)
    picture[48:53, :] = 40.0
    if gap is not None:
        picture[50 + gap :, :] = 30.0
    points = np.stack([np.arange(10, 190, dtype=np.float32), np.full(180, 50.0, dtype=np.float32)], axis=1)
    return picture, points


def test_clearance_measures_how_near_another_dark_part_comes(bench) -> None:  # type: ignore[no-untyped-def]
    thickness = bench.THICKNESS_SHARE * 200  # 5 pixels
    near = bench.clearance(*_wire_with_block(15))
    far = bench.clearance(*_wire_with_block(None))
    # One side reaches the block 15 pixels from the centre line (3 thicknesses); the other side and the lone wire see nothing.
    below = near[:3] if near[0] < near[3] else near[3:]
    assert below[0] == pytest.approx(15 / thickness, abs=0.2)
    assert min(far[0], far[3]) > 7.5
    assert max(far[2], far[5]) == 0.0


def test_it_prints_the_separation_and_both_scores_on_real_wires() -> None:
    done = run_bench("bench_contact_measures.py", "--resplits", "1", timeout=600)
    assert "110 annotated real pictures of 55 SWEEP/WOBBLE/TOUCH wires" in done.stdout
    assert done.stdout.count("best contact measures") == 6
    scores = [line for line in done.stdout.splitlines() if line.strip().startswith(("the product's shape", "+ clearance"))]
    assert len(scores) == 2 and all(0.2 < float(line.split()[-2]) <= 1.0 for line in scores)


def test_without_the_real_pictures_it_says_where_they_should_be(bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bench, "REAL_DEV", tmp_path / "nowhere")
    with pytest.raises(SystemExit, match="The real pictures are not at .*nowhere; this benchmark needs ../shared/samples/real-dev"):
        bench.measured()
    assert "bench_contact_measures" in sys.modules
