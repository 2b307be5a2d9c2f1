"""The legacy tracing picture is drawn from the real legacy sample, one trace per box."""

from __future__ import annotations

from pathlib import Path

import cv2

from tests.bench.conftest import run_bench


def test_it_traces_the_eight_legacy_boxes_into_one_picture(tmp_path: Path) -> None:
    out = tmp_path / "traces.jpg"
    result = run_bench("trace_legacy.py", "--out", str(out))
    assert result.stdout.count(" traced") == 8 and f"wrote {out}" in result.stdout
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] == 2 * (150 + 4)  # a row of TOP crops, a row of SIDE crops
