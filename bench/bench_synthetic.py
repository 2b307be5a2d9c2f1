"""Time the synthetic generator: seconds per 1004 px picture, render and PNG write."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.synthetic import generate, render, scaled_plan  # noqa: E402


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help, and no flag silently ignored
    render(0, "TOP", "PASS")  # warm up cv2 and numpy
    n = 40
    start = time.perf_counter()
    for index in range(n):
        render(index, ("TOP", "SIDE")[index % 2], "TOUCH")
    per_render = (time.perf_counter() - start) / n
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        samples = generate(folder, scaled_plan(20))
        per_file = (time.perf_counter() - start) / len(samples)
    print(f"render: {per_render:.3f} s per picture; render + PNG: {per_file:.3f} s per picture")


if __name__ == "__main__":
    main()
