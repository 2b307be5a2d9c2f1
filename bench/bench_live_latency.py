"""Latency from the end of an epoch to the message in a browser's websocket, p50/p95.

Starts a real daphne on a fresh database (embedded default: outbox relay; or
with a private redis-server: channels_redis), connects N websocket clients to
one run's page (autobahn, as a browser would: session cookie, same origin), and
plays a worker: the database sink writes an epoch every 0.5 s with its wall
time inside. Baseline: one client; the ratio is 50 clients against it. The 50 clients are
measured again while two real training jobs run beside the server (``bench/_trainer.py``, as two
workers run them: the worker's nice value and threads), the load of two workers training on the
same machine. Target: p95 < 1 s.

    .venv/bin/python bench/bench_live_latency.py [--clients 50] [--epochs 40] [--mode embedded|redis|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._server import daphne, free_port, percentile, trainer  # noqa: E402


async def pages(port: int, cookie: str, run_id: int, clients: int, epochs: int) -> list[float]:
    """The browsers: connect, say READY once every snapshot arrived, collect each epoch's delay."""
    from autobahn.asyncio.websocket import WebSocketClientFactory, WebSocketClientProtocol

    latencies: list[float] = []
    done = asyncio.Event()
    ready = asyncio.Event()
    connected = 0
    loop = asyncio.get_running_loop()

    class Page(WebSocketClientProtocol):
        def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803  (autobahn's names)
            nonlocal connected
            received = time.time()
            message = json.loads(payload)
            if message["type"] == "snapshot":
                connected += 1
                if connected == clients:
                    ready.set()
            elif message["type"] == "epoch":
                latencies.append(received - message["metrics"]["sent_at"])
                if len(latencies) == clients * epochs:
                    done.set()

    url = f"ws://127.0.0.1:{port}/ws/training/runs/{run_id}/"
    factory = WebSocketClientFactory(url, origin=f"http://127.0.0.1:{port}", headers={"Cookie": cookie})
    factory.protocol = Page
    transports = [(await loop.create_connection(factory, "127.0.0.1", port))[0] for _ in range(clients)]
    await asyncio.wait_for(ready.wait(), timeout=60)
    print("READY", flush=True)
    try:
        await asyncio.wait_for(done.wait(), timeout=epochs * 0.5 + 30)
    except TimeoutError:
        pass
    for transport in transports:
        transport.close()
    return latencies


def measure(port: int, cookie: str, run_id: int, clients: int, epochs: int, sink: object) -> list[float]:
    """Play the worker while a separate process (autobahn on asyncio, no Django) plays the browsers."""
    from core.training.events import EpochEvent

    browsers = subprocess.Popen(
        [sys.executable, __file__, "--pages", str(port), cookie, str(run_id), str(clients), str(epochs)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert browsers.stdout is not None
    assert browsers.stdout.readline().strip() == "READY"
    time.sleep(1.0)
    for epoch in range(1, epochs + 1):
        sink.on_epoch(EpochEvent(epoch=epoch, epochs=epochs, metrics={"sent_at": time.time()}, seconds=0.5))  # type: ignore[attr-defined]
        time.sleep(0.5)
    output, _ = browsers.communicate(timeout=120)
    return json.loads(output.strip().splitlines()[-1])


def child(mode: str, clients: list[int], epochs: int) -> None:
    """One deployment: its own data folder, database, daphne (and redis-server)."""
    data = Path(tempfile.mkdtemp(prefix="wiresag-bench-live-"))
    redis_port = free_port()
    os.environ.update(
        {
            "WIRESAG_DATA_DIR": str(data),
            "WIRESAG_DEBUG": "1",
            "WIRESAG_HTTPS": "0",
            "WIRESAG_SECRET_KEY": "bench-" + os.urandom(32).hex(),
            "WIRESAG_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0" if mode == "redis" else "",
            "DJANGO_SETTINGS_MODULE": "wiresag_web.settings",
        }
    )
    if mode == "redis":
        subprocess.run(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--daemonize", "yes"], check=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from accounts.users import create_user_with_role
    from training.models import TrainingRun
    from training.sink import DatabaseSink

    call_command("migrate", verbosity=0)
    client = Client()
    client.force_login(create_user_with_role("bench", "a long bench password", "engineer"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    port = free_port()
    try:
        with daphne(port):
            results = {}
            conditions = [(str(count), count, 0) for count in clients] + [("training", clients[-1], 2)]
            for key, count, trainings in conditions:
                run = TrainingRun.objects.create(model_type="view", config={"epochs": epochs})
                TrainingRun.objects.claim(run.pk, "bench")
                with ExitStack() as stack:
                    for _ in range(trainings):
                        stack.enter_context(trainer(settings.WORKER_NICE, settings.WORKER_THREADS))
                    latencies = measure(port, cookie, run.pk, count, epochs, DatabaseSink(run.pk, "bench"))
                expected = count * epochs
                results[key] = {
                    "p50": statistics.median(latencies),
                    "p95": percentile(latencies, 95),
                    "max": max(latencies),
                    "delivered": len(latencies) / expected,
                }
            print(json.dumps(results))
    finally:
        if mode == "redis":
            subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--mode", choices=("embedded", "redis", "both"), default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pages", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages:
        port, cookie, run_id, clients, epochs = args.pages
        print(json.dumps(asyncio.run(pages(int(port), cookie, int(run_id), int(clients), int(epochs)))))
        return
    if args.child:
        child(args.mode, [1, args.clients], args.epochs)
        return
    modes = ["embedded", "redis"] if args.mode == "both" else [args.mode]
    print(f"epoch end -> websocket message, {args.epochs} epochs, 1 client (baseline) and {args.clients} clients")
    for mode in modes:
        output = (
            subprocess.run(
                [sys.executable, __file__, "--child", "--mode", mode, "--clients", str(args.clients), "--epochs", str(args.epochs)],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        results = json.loads(output)
        base = results["1"]
        for key, label in ((str(args.clients), f"{args.clients} clients"), ("training", f"{args.clients} clients, 2 trainings beside")):
            many = results[key]
            print(
                f"{mode:9s} 1 client: p50 {base['p50'] * 1000:6.0f} ms  p95 {base['p95'] * 1000:6.0f} ms | "
                f"{label}: p50 {many['p50'] * 1000:6.0f} ms  p95 {many['p95'] * 1000:6.0f} ms  "
                f"max {many['max'] * 1000:6.0f} ms  delivered {many['delivered']:.0%} | p95 ratio {many['p95'] / base['p95']:.2f} "
                f"({'meets' if many['p95'] < 1.0 else 'misses'} the 1 s target)"
            )


if __name__ == "__main__":
    main()
