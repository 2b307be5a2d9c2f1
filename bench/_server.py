"""What the web benchmarks share: a free port, a percentile and the real daphne server."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_environment(data_dir: str) -> dict[str, str]:
    """The environment ``scripts/start`` gives the app: debug off, a strong secret, plain HTTP on loopback.

    Debug mode logs every query (on SQLite one more query per query, to quote its parameters), so a
    benchmark run with it measures a server nobody runs.
    """
    import secrets

    return {
        "WIRESAG_DATA_DIR": data_dir,
        "WIRESAG_DEBUG": "0",
        "WIRESAG_SECRET_KEY": secrets.token_urlsafe(50),
        "WIRESAG_HTTPS": "0",
        "DJANGO_SETTINGS_MODULE": "wiresag_web.settings",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextmanager
def daphne(port: int, timeout: float = 60.0, processes: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """The app under daphne on loopback, from the environment as it is; stopped on the way out.

    ``processes`` above 1 starts that many daphne processes on one shared listening socket, as
    ``manage.py serve --web-processes`` does.
    """
    listener = None
    if processes > 1:
        from wiresag_web.management.commands.serve import listening_socket

        listener = listening_socket("127.0.0.1", port)
    where = ["--fd", str(listener.fileno())] if listener else ["-b", "127.0.0.1", "-p", str(port)]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "wiresag_web.server", *where, "wiresag_web.asgi:application"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(listener.fileno(),) if listener else (),
        )
        for _ in range(processes)
    ]
    try:
        deadline = time.monotonic() + timeout
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0 and (listener is None or _answers(port)):
                    break
            if any(server.poll() is not None for server in servers) or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start on port {port}.")
            time.sleep(0.2)
        time.sleep(2.0 if listener else 0.0)  # every process up before the clients come
        yield servers[0]
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        if listener:
            listener.close()


def _answers(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@contextmanager
def trainer(nice: int, threads: int) -> Iterator[None]:
    """A real training job (bench/_trainer.py) beside the web, yielding to it as the worker is told to.

    The job is killed, so it cannot clean up after itself: its folder is made and removed here.
    """
    with tempfile.TemporaryDirectory(prefix="wiresag-bench-trainer-") as folder:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "_trainer.py"), "--nice", str(nice), "--threads", str(threads), "--folder", folder],
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
