"""README command (a) starts the web server and the worker, answers on the login page, and stops on Ctrl+C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_start_command_serves_the_login_page_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    env.update(WIRESAG_DATA_DIR=str(tmp_path / "data"), WIRESAG_PORT=str(port), WIRESAG_DEMO_WIRES="4")
    log = (tmp_path / "start.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "start")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        status = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
                    status = response.status
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(1)
        output = (tmp_path / "start.log").read_text()
        assert status == 200, output
        assert "Log in to Wiresag" in body
        assert "Password (shown once" in output
        # The worker runs beside the web server, as a child of the start command (in a process group of its own).
        workers = subprocess.run(["pgrep", "-P", str(process.pid), "-f", "manage.py worker"], capture_output=True, text=True)
        assert workers.stdout.strip(), "the django-q2 worker is not running"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert process.returncode == 0, (tmp_path / "start.log").read_text()
    assert "Wiresag stopped." in (tmp_path / "start.log").read_text()
