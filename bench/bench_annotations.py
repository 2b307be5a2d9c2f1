"""Benchmark the annotation workspace against daphne on loopback.

1. Save latency (PUT /api/images/<id>/annotations) with 20 concurrent clients, each saving its
   own picture's boxes again and again (targets: p95 < 50 ms).
2. The library page with 100,000 pictures in the database (target < 300 ms): first page, a deep
   page (keyset ``after``) and a filtered page.

Each number is printed beside a baseline measured in the same run: ``/health/`` (one trivial
query through the same server), so the ratio says what the feature costs over the bare stack.
Run: ``.venv/bin/python bench/bench_annotations.py`` (uses a throwaway data folder).
``--while-training``: the saves of 20 clients idle, beside a real training job at the web's own
priority (as before), and beside one that yields as ``manage.py worker`` makes it (nice value and
math threads from the settings), in the same run.
``--web-processes``: the same clients against 1, 2 and 3 daphne processes sharing the port.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Coroutine
from contextlib import nullcontext
from pathlib import Path
from typing import Any


def arguments() -> argparse.Namespace:
    """Read before anything heavy starts: ``--help`` or a mistyped flag must not fill a database first."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--while-training", action="store_true", help="the saves idle and beside a real training job")
    mode.add_argument("--web-processes", action="store_true", help="the saves against 1, 2 and 3 daphne processes")
    return parser.parse_args()


ARGS = arguments() if __name__ == "__main__" else argparse.Namespace(while_training=False, web_processes=False)
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._scratch import throwaway_folder  # noqa: E402
from bench._server import daphne, free_port, percentile, production_environment, trainer  # noqa: E402

DATA_DIR = throwaway_folder("wiresag-bench-")
os.environ.update(production_environment(DATA_DIR))

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
import requests  # noqa: E402
from django.core.management import call_command  # noqa: E402

from accounts.users import create_user_with_role  # noqa: E402
from annotations.ingest import ingest_image  # noqa: E402
from annotations.models import Annotation, Image  # noqa: E402
from bench._library import fake_pictures  # noqa: E402
from core.labels import DEFECTS  # noqa: E402
from tests.conftest import png_bytes  # noqa: E402

CLIENTS = 20
SAVES_PER_CLIENT = 50
LIBRARY_PICTURES = 100_000
PASSWORD = "bench password 123"


def fill_database() -> list[int]:
    call_command("migrate", verbosity=0)
    create_user_with_role("bench", PASSWORD, "annotator")
    own = [ingest_image(png_bytes(400, 300, seed=i), f"bench{i:02d}_TOP.png").image.pk for i in range(CLIENTS)]
    start = time.perf_counter()
    rows = fake_pictures(LIBRARY_PICTURES)
    Image.objects.bulk_create(rows, batch_size=5000)
    first_fake = Image.objects.order_by("id").values_list("id", flat=True)[CLIENTS]
    boxes = (
        Annotation(image_id=first_fake + n, x=100, y=100, width=200, height=70, view="TOP", defect=DEFECTS[n % 4])
        for n in range(0, LIBRARY_PICTURES, 5)
    )
    Annotation.objects.bulk_create(boxes, batch_size=5000)
    took = time.perf_counter() - start
    print(f"database: {Image.objects.count():,} pictures, {Annotation.objects.count():,} boxes ({took:.1f} s to insert)")
    return own


def logged_in_session(base: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{base}/login/")
    response = session.post(
        f"{base}/login/", data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    )
    response.raise_for_status()
    return session


async def async_client(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    await client.get("/login/")
    form = {"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
    response = await client.post("/login/", data=form)
    if response.status_code not in (200, 302):
        raise RuntimeError(f"login failed: {response.status_code}")
    return client


def annotators(
    base: str, image_ids: list[int], pause: float, saves: int, whole_history: bool = False
) -> list[Coroutine[Any, Any, list[float]]]:
    """One ``save_loop`` per picture, all logged in and on their page before the first timed save."""
    everyone_ready = asyncio.Barrier(len(image_ids))
    return [save_loop(base, image_id, pause, saves, everyone_ready, whole_history) for image_id in image_ids]


async def save_loop(
    base: str, image_id: int, pause: float, saves: int, everyone_ready: asyncio.Barrier, whole_history: bool = False
) -> list[float]:
    """One annotator saving the boxes of its own picture ``saves`` times, ``pause`` seconds apart on average.

    Like the annotate page, each save asks only for the changes after the newest one it holds
    (``history_after``); ``whole_history`` sends the body the page sent before, which got the last 100 back.
    The timed saves start when every annotator has logged in: a login is about 0.23 s of PBKDF2 on this CPU,
    and 20 at once would be a login storm measured as slow saves.
    """
    client = await async_client(base)
    try:
        url = f"/api/images/{image_id}/annotations"
        loaded = (await client.get(url)).json()
        revision = loaded["image"]["revision"]
        newest = loaded["history"][0]["id"] if loaded["history"] else 0
        headers = {"X-CSRFToken": client.cookies["csrftoken"]}
        phase = random.Random(image_id)
        await everyone_ready.wait()
        latencies = []
        for n in range(saves):
            if pause:
                await asyncio.sleep(pause * phase.uniform(0.5, 1.5))  # people save independently of one another
            boxes = [{"id": None, "x": 10 + n % 50, "y": 20, "width": 150, "height": 60, "view": "TOP", "defect": DEFECTS[n % 4]}]
            start = time.perf_counter()
            body: dict[str, Any] = {"base_revision": revision, "boxes": boxes}
            if not whole_history:
                body["history_after"] = newest
            response = await client.put(url, json=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            response.raise_for_status()
            answer = response.json()
            revision = answer["revision"]
            newest = max([newest] + [change["id"] for change in answer.get("history_new", [])])
        return latencies
    finally:
        await client.aclose()


async def health_loop(base: str, repeat: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        latencies = []
        for _ in range(repeat):
            start = time.perf_counter()
            (await client.get("/health/")).raise_for_status()
            latencies.append(time.perf_counter() - start)
        return latencies


async def concurrently(loops: list[Coroutine[Any, Any, list[float]]]) -> list[float]:
    """Run the clients' loops at once in one event loop (threads would add GIL waits to the numbers)."""
    return [t for chunk in await asyncio.gather(*loops) for t in chunk]


def timed_gets(session: requests.Session, url: str, repeat: int) -> list[float]:
    session.get(url).raise_for_status()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        session.get(url).raise_for_status()
        times.append(time.perf_counter() - start)
    return times


def web_processes(own: list[int], counts: list[int]) -> None:
    """Saves by 20 clients, idle, with 1 and with several daphne processes on one port (serve --web-processes)."""
    print(f"saves with several web processes on the same {os.cpu_count()}-core machine ({CLIENTS} clients):")
    baseline = 0.0
    for processes in counts:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with daphne(port, processes=processes):
            paced = asyncio.run(concurrently(annotators(base, own, 1.0, 20)))
            saves = asyncio.run(concurrently(annotators(base, own, 0.0, 20)))
        p50, p95, b95 = percentile(paced, 50) * 1000, percentile(paced, 95) * 1000, percentile(saves, 95) * 1000
        baseline = baseline or p95
        print(
            f"  {processes} web process{'es' if processes > 1 else '':2s} each saving about once a second: p50 {p50:6.1f} ms "
            f"p95 {p95:6.1f} ms ({p95 / baseline:.2f}x one process) | back to back: p95 {b95:6.1f} ms"
        )


def while_training(own: list[int]) -> None:
    """Saves by 20 clients (each about once a second) idle, and beside a training job two ways."""
    from django.conf import settings

    cores = os.cpu_count() or 1
    nice, threads = settings.WORKER_NICE, settings.WORKER_THREADS
    conditions: list[tuple[str, tuple[int, int] | None]] = [
        ("idle (nothing trains)", None),
        ("idle, each save answered with the last 100 changes (before)", None),
        (f"training at the same priority, {cores} threads (before)", (0, cores)),
        (f"training as the worker runs it: nice {nice}, {threads} threads", (nice, threads)),
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"saves while a model trains on the same {cores}-core machine ({CLIENTS} clients, each saving about once a second):")
    with daphne(port):
        idle95 = 0.0
        for label, job in conditions:
            with trainer(*job) if job else nullcontext():
                whole = "(before)" in label and job is None
                latencies = asyncio.run(concurrently(annotators(base, own, 1.0, 20, whole)))
            p50, p95, p99 = (percentile(latencies, q) * 1000 for q in (50, 95, 99))
            idle95 = idle95 or p95
            print(
                f"  {label:62s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  ({p95 / idle95:.2f}x idle p95; target p95 < 50 ms)"
            )


def machine_speed() -> str:
    """How fast this machine is right now: a shared VM's speed drifts, and the latencies with it."""
    import hashlib

    start = time.perf_counter()
    hashlib.pbkdf2_hmac("sha256", b"password", b"salt", 1_000_000)
    return f"machine speed now: PBKDF2-SHA256 with 1,000,000 iterations in {time.perf_counter() - start:.2f} s (one login's work)"


def main() -> None:
    print(machine_speed())
    own = fill_database()
    if ARGS.while_training:
        while_training(own)
        return
    if ARGS.web_processes:
        web_processes(own, [1, 2, 3])
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with daphne(port):
        single = asyncio.run(concurrently(annotators(base, own[:1], 0.0, SAVES_PER_CLIENT)))
        one50, one95 = percentile(single, 50) * 1000, percentile(single, 95) * 1000
        print(f"one client alone, {len(single)} saves: p50 {one50:.1f} ms, p95 {one95:.1f} ms")
        health = asyncio.run(concurrently([health_loop(base, SAVES_PER_CLIENT) for _ in range(CLIENTS)]))
        saves = asyncio.run(concurrently(annotators(base, own, 0.0, SAVES_PER_CLIENT)))
        paced = asyncio.run(concurrently(annotators(base, own, 1.0, 20)))
        h50, h95 = percentile(health, 50) * 1000, percentile(health, 95) * 1000
        print(f"{CLIENTS} concurrent clients, daphne on loopback (baseline GET /health/ back to back: p50 {h50:.1f}, p95 {h95:.1f} ms):")
        for label, latencies in (("back to back (no pause)", saves), ("each saving about once a second", paced)):
            s50, s95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
            print(f"  save {label:32s} p50 {s50:6.1f} ms  p95 {s95:6.1f} ms  ({len(latencies)} saves; target p95 < 50 ms)")

        session = logged_in_session(base)
        baseline = statistics.median(timed_gets(session, f"{base}/health/", 20)) * 1000
        last_id = Image.objects.order_by("-id").values_list("id", flat=True).first()
        pages = {
            "first page": "/library/",
            "deep page (after=last-1000)": f"/library/?after={last_id - 1000}",
            "filter defect=TOUCH": "/library/?defect=TOUCH",
            "filter not annotated + view": "/library/?annotated=no&view=TOP",
            "filter wire id prefix": "/library/?wire=04999",
            "statistics page": "/statistics/",
        }
        print(f"library with {Image.objects.count():,} pictures, one client (median of 10; baseline /health/ {baseline:.1f} ms):")
        for label, path in pages.items():
            median = statistics.median(timed_gets(session, f"{base}{path}", 10)) * 1000
            print(f"  {label:30s} {median:7.1f} ms  ({median / baseline:.1f}x baseline; target < 300 ms)")


if __name__ == "__main__":
    main()
