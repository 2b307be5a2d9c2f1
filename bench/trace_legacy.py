"""Draw the wire tracer's centre lines on the real legacy pictures (``../shared/samples/legacy``).

Writes one picture (JPEG) with the eight box crops (15 % margin) and their traces, the
start in green and the end in blue, for checking the tracer by eye; the
positions in ``tests/core/test_wireshape.py::LEGACY_ENDS`` were checked on it.

    .venv/bin/python bench/trace_legacy.py [--out docs/screenshots/traces-legacy.jpg]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.prepare import crop_box, read_rgb8  # noqa: E402
from core.shape import wireshape  # noqa: E402
from interop.formats import legacy  # noqa: E402

LEGACY = Path(__file__).resolve().parents[2] / "shared" / "samples" / "legacy"
ROW_HEIGHT = 150


def overlay(crop: np.ndarray, view: str) -> np.ndarray:
    points = wireshape.trace(crop, view).points
    scale = ROW_HEIGHT / crop.shape[0]
    picture = cv2.resize(np.ascontiguousarray(crop[:, :, ::-1]), (round(crop.shape[1] * scale), ROW_HEIGHT))
    scaled = np.round(points * scale).astype(np.int32)
    cv2.polylines(picture, [scaled.reshape(-1, 1, 2)], False, (0, 0, 255), 2, cv2.LINE_AA)
    cv2.circle(picture, tuple(int(v) for v in scaled[0]), 5, (0, 200, 0), -1)
    cv2.circle(picture, tuple(int(v) for v in scaled[-1]), 5, (255, 0, 0), -1)
    return picture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/traces-legacy.jpg"))
    args = parser.parse_args()
    lines: dict[str, list[np.ndarray]] = {}
    for image in legacy.read(LEGACY / "annotations.db").images:
        for box in image.boxes:
            view = box.attributes["view"]
            crop = crop_box(read_rgb8(image.picture), box.x, box.y, box.width, box.height, 0.15)
            lines.setdefault(view, []).append(overlay(crop, view))
            print(image.name, view, "traced")
    width = max(sum(p.shape[1] for p in row) for row in lines.values())
    stacked = [np.pad(np.concatenate(row, axis=1), ((0, 4), (0, width - sum(p.shape[1] for p in row)), (0, 0))) for row in lines.values()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.concatenate(stacked, axis=0), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
