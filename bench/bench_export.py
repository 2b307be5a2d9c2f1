"""How long an export's zip takes to build: pictures deflated (the former way) against stored as they are.

The export job (``interop.exports``) writes the label files compressed and puts the
pictures into the zip unchanged (``ZIP_STORED``): library pictures are PNG or JPEG,
which deflate barely shrinks. This measures that lever on real X-rays from
``../shared/samples/real-dev`` saved as the library stores uploads (PNG, grey as RGB),
both ways in the same process, and prints the times, the sizes and the ratio.

    .venv/bin/python bench/bench_export.py [--pictures 114] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image

REAL_DEV = Path(__file__).resolve().parents[2] / "shared" / "samples" / "real-dev" / "photo"


def library_pictures(folder: Path, count: int) -> list[Path]:
    sources = sorted(p for p in REAL_DEV.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:count]
    pictures = []
    for index, source in enumerate(sources):
        target = folder / f"{index:04d}.png"
        Image.open(source).convert("RGB").save(target)
        pictures.append(target)
    return pictures


def build(pictures: list[Path], target: Path, compress_type: int) -> float:
    started = time.perf_counter()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("annotations.json", "{}")
        for picture in pictures:
            archive.write(picture, f"images/{picture.name}", compress_type=compress_type)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=114)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiresag-bench-export-") as folder:
        pictures = library_pictures(Path(folder), args.pictures)
        megabytes = sum(p.stat().st_size for p in pictures) / 1e6
        times: dict[str, list[float]] = {"deflated": [], "stored": []}
        sizes: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, kind in (("deflated", zipfile.ZIP_DEFLATED), ("stored", zipfile.ZIP_STORED)):
                target = Path(folder) / f"{name}.zip"
                times[name].append(build(pictures, target, kind))
                sizes[name] = target.stat().st_size / 1e6
        print(f"{len(pictures)} library pictures, {megabytes:.1f} MB; median of {args.repeats} runs")
        for name in times:
            print(f"  pictures {name:8s}: {statistics.median(times[name]):6.2f} s, zip {sizes[name]:6.1f} MB")
        ratio = statistics.median(times["deflated"]) / statistics.median(times["stored"])
        print(f"  stored is {ratio:.1f}x faster; the zip is {sizes['stored'] / sizes['deflated']:.3f}x the deflated size")


if __name__ == "__main__":
    main()
