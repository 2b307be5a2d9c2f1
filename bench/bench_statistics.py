"""The statistics page with 100,000 pictures, nearly each with a box (target: under 150 ms).

In one process against a throwaway SQLite database: the page through Django's test client
(median of 10), each part of ``annotations.stats.dataset_stats`` alone, and the baseline of the
same run, ``/health/`` (one trivial query through the same stack), so the ratio says what the
statistics cost over the bare stack. Every second wire's SIDE box disagrees with its TOP box and
one picture in 50 has no box, so the issue lists have work to do.

    .venv/bin/python bench/bench_statistics.py [--pictures 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._scratch import django_in_throwaway_folder  # noqa: E402

django_in_throwaway_folder("wiresag-bench-stats-")

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.users import create_user_with_role  # noqa: E402
from annotations import stats  # noqa: E402
from annotations.models import Annotation, Image  # noqa: E402
from bench._library import fake_pictures  # noqa: E402
from core.labels import DEFECTS  # noqa: E402


def fill(pictures: int) -> None:
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    Image.objects.bulk_create(fake_pictures(pictures, name="{wire:06d}_{view}.png"), batch_size=5000)
    first = Image.objects.order_by("id").values_list("id", flat=True).first() or 0
    Annotation.objects.bulk_create(
        (
            Annotation(
                image_id=first + n,
                x=100 + n % 300,
                y=100,
                width=120 + n % 250,
                height=40 + n % 90,
                view="TOP" if n % 2 else "SIDE",
                defect=DEFECTS[(n // 2 + (n % 2) * (n // 4 % 2)) % 4],
            )
            for n in range(pictures)
            if n % 50 != 7
        ),
        batch_size=5000,
    )
    took = time.perf_counter() - started
    print(f"database: {Image.objects.count():,} pictures, {Annotation.objects.count():,} boxes ({took:.1f} s to insert)")


def median_ms(work: Callable[[], object], repeat: int = 10) -> float:
    work()  # warm up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def check(response: object) -> object:
    assert getattr(response, "status_code", 0) == 200, response
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pictures", type=int, default=100_000)
    args = parser.parse_args()
    fill(args.pictures)
    user = create_user_with_role("bench", "bench password 123", "annotator")
    client = Client()
    client.force_login(user)
    baseline = median_ms(lambda: client.get("/health/", HTTP_HOST="localhost"))
    counting = median_ms(lambda: check(client.get("/statistics/?fresh=1", HTTP_HOST="localhost")))
    kept = median_ms(lambda: check(client.get("/statistics/", HTTP_HOST="localhost")))
    print(f"baseline GET /health/: {baseline:.1f} ms")
    print(
        f"GET /statistics/ (the kept summary: every view but the first): {kept:.1f} ms ({kept / baseline:.1f}x baseline; target < 150 ms)"
    )
    print(f"GET /statistics/?fresh=1 (counting before answering: the first view): {counting:.1f} ms ({counting / baseline:.1f}x baseline)")
    result = stats.dataset_stats()
    print(f"  {result.box_count:,} boxes, {result.unpaired_count:,} wires missing a view, {result.disagreeing_count:,} disagreeing")
    print(f"  dataset_stats(): {median_ms(stats.dataset_stats):.1f} ms; its parts:")
    boxes = Annotation.objects.for_training()
    parts: dict[str, Callable[[], object]] = {
        "classes and sizes": lambda: stats._label_size_tally(boxes),
        "boxes per picture": lambda: stats._boxes_per_picture(boxes),
        "wires missing a view": stats._unpaired,
        "disagreeing wires": lambda: stats._disagreeing(boxes),
    }
    for name, part in parts.items():
        print(f"    {name:22s} {median_ms(part, repeat=5):7.1f} ms")


if __name__ == "__main__":
    main()
