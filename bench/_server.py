"""What the web benchmarks share: a free port, a percentile and the real daphne server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextmanager
def daphne(port: int, timeout: float = 60.0) -> Iterator[subprocess.Popen[bytes]]:
    """The app under daphne on loopback, from the environment as it is; stopped on the way out."""
    server = subprocess.Popen(
        [sys.executable, "-m", "wiresag_web.server", "-b", "127.0.0.1", "-p", str(port), "wiresag_web.asgi:application"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start on port {port} (exit code {server.poll()}).")
            time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def trainer(nice: int, threads: int) -> Iterator[None]:
    """A real training job (bench/_trainer.py) beside the web, yielding to it as the worker is told to."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "_trainer.py"), "--nice", str(nice), "--threads", str(threads)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "training":
            raise RuntimeError("The benchmark's training job did not start.")
        yield
    finally:
        process.kill()
        process.wait(timeout=30)
