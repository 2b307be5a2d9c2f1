"""``manage.py serve --web-processes N``: N daphne processes answer on one port and stop with serve."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.live_fixtures import children, free_port, process_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_several_web_processes_share_one_port_and_end_with_serve(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    log = tmp_path / "serve.log"
    serve = subprocess.Popen(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "serve", "--port", str(port), "--no-worker", "--web-processes", "3"],
        cwd=django_settings.BASE_DIR,
        env=process_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert serve.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        web = children(serve.pid)
        assert len(web) == 3, log.read_text()
        # Every web process holds the shared listening socket, and all answer: 30 requests in a row succeed.
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as answer:
                assert answer.status == 200
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [pid for pid in web if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]] == []
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)
