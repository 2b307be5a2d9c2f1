"""Time dataset preparation on 10,000 synthetic pictures against plain linking/copying.

Pictures are generated at 256 px (not the camera's 1004 px) to keep the
generation short; the YOLO set only links files, so its time hardly depends on
the size, while crop time does (decoding the picture dominates). Pass
``--size 1004`` for full-size numbers. Baselines, measured in the same process
on the same files: symlinking every picture into a folder (YOLO) and reading
each picture then writing the same crops with plain cv2 (crops).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402

from core.data.dataset import records_from_synthetic, split_records  # noqa: E402
from core.data.prepare import prepare_crops, prepare_yolo  # noqa: E402
from core.data.synthetic import SyntheticSample, generate, scaled_plan  # noqa: E402


def _generate_chunk(args: tuple[str, int, int, int, int]) -> list[SyntheticSample]:
    folder, n_wires, size, start, stop = args
    return generate(folder, scaled_plan(n_wires), image_size=size, wire_indices=range(start, stop))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pictures", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    n_wires = args.pictures // 2
    if n_wires < 4 or scaled_plan(n_wires).defects.count("PASS") < 2:  # the plan's proportions hold 3 PASS wires in 86
        parser.error(f"--pictures {args.pictures} gives fewer than two PASS wires; the split needs two to validate PASS: take 44 or more.")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        chunks = [(str(root / "pictures"), n_wires, args.size, i, min(i + 250, n_wires)) for i in range(0, n_wires, 250)]
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            samples = [s for chunk in pool.map(_generate_chunk, chunks) for s in chunk]
        print(f"generated {len(samples)} pictures at {args.size} px in {time.perf_counter() - start:.1f} s (not timed below)")

        start = time.perf_counter()
        snapshot = split_records(records_from_synthetic(samples), seed=0)
        split_s = time.perf_counter() - start

        start = time.perf_counter()
        baseline_dir = root / "baseline_links"
        baseline_dir.mkdir()
        for index, sample in enumerate(samples):
            os.symlink(sample.path, baseline_dir / f"{index}.png")
        link_s = time.perf_counter() - start

        start = time.perf_counter()
        prepare_yolo(snapshot, root / "yolo")
        yolo_s = time.perf_counter() - start

        start = time.perf_counter()
        prepare_yolo(snapshot, root / "yolo")
        reuse_s = time.perf_counter() - start

        start = time.perf_counter()
        baseline_crops = root / "baseline_crops"
        baseline_crops.mkdir()
        for index, sample in enumerate(samples):
            x, y, w, h = sample.box
            picture = cv2.imread(str(sample.path))
            cv2.imwrite(str(baseline_crops / f"{index}.png"), picture[y : y + h, x : x + w], [cv2.IMWRITE_PNG_COMPRESSION, 1])
        baseline_crop_rate = len(samples) / (time.perf_counter() - start)

        start = time.perf_counter()
        prepare_crops(snapshot, root / "crops", "defect")
        crop_rate = len(samples) / (time.perf_counter() - start)

    print(f"split (grouped, stratified): {split_s:.2f} s")
    print(f"YOLO set: {yolo_s:.2f} s; baseline symlinks: {link_s:.2f} s; ratio {yolo_s / link_s:.1f}x")
    print(f"YOLO set reused (same fingerprint): {reuse_s:.3f} s")
    print(
        f"defect crops: {crop_rate:.0f} crops/s; baseline read+crop+write: {baseline_crop_rate:.0f} crops/s; "
        f"ratio {baseline_crop_rate / crop_rate:.2f}x slower"
    )


if __name__ == "__main__":
    main()
