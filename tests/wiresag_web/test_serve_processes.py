"""``manage.py serve --web-processes N``: N daphne processes answer on one port and stop with serve."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tests.live_fixtures import children, free_port, process_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@contextmanager
def running_serve(settings, log: Path, *args: str, ignore_sigint: bool = False) -> Iterator[tuple[subprocess.Popen[bytes], int]]:  # type: ignore[no-untyped-def]
    """``manage.py serve`` on a free port, answering; killed on the way out if the test left it running.

    ``ignore_sigint`` starts it as nohup, ``&`` in a script or a service manager do.
    """
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "serve", "--port", str(port), *args],
        cwd=django_settings.BASE_DIR,
        env=process_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None,  # noqa: PLW1509
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
        yield serve, port
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=10)


def stops_whole(serve: subprocess.Popen[bytes], web: list[int], log: Path) -> float:
    """Wait for ``serve`` to end cleanly with all its web processes; return how long it took."""
    begun = time.monotonic()
    assert serve.wait(timeout=30) == 0, log.read_text()
    took = time.monotonic() - begun
    time.sleep(0.5)
    assert [pid for pid in web if Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]] == []
    return took


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_several_web_processes_share_one_port_and_end_with_serve(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "serve.log"
    with running_serve(settings, log, "--no-worker", "--web-processes", "3") as (serve, port):
        web = children(serve.pid)
        assert len(web) == 3, log.read_text()
        # Every web process holds the shared listening socket, and all answer: 30 requests in a row succeed.
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as answer:
                assert answer.status == 200
        serve.send_signal(signal.SIGINT)
        stops_whole(serve, web, log)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_started_in_the_background_stops_at_once_on_sigterm(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Started with SIGINT ignored (nohup, a script's ``&``), the web server ignored serve's SIGINT: stopping took the 20 s kill."""
    log = tmp_path / "serve.log"
    with running_serve(settings, log, "--no-worker", ignore_sigint=True) as (serve, _):
        web = children(serve.pid)
        serve.terminate()
        assert stops_whole(serve, web, log) < 10, log.read_text()  # the web server stopped on its own, not killed after 20 s


@pytest.mark.parametrize(
    ("host", "allowed", "warned"),
    [
        ("0.0.0.0", ["127.0.0.1", "localhost"], True),  # the default names: colleagues get "Request refused" (400)
        ("10.0.0.5", ["localhost"], True),
        ("::", [], True),
        ("0.0.0.0", ["127.0.0.1", "inspect.factory.local"], False),  # a name others use is allowed
        ("0.0.0.0", ["*"], False),
        ("127.0.0.1", ["127.0.0.1", "localhost"], False),  # only this machine listens: nothing to say
        ("127.0.1.1", ["localhost"], False),
        ("localhost", ["localhost"], False),
    ],
)
def test_serve_says_what_to_set_when_it_listens_for_other_machines_that_the_app_would_refuse(host, allowed, warned) -> None:  # type: ignore[no-untyped-def]
    from wiresag_web.management.commands.serve import allowed_hosts_note

    note = allowed_hosts_note(host, allowed)
    assert bool(note) is warned
    if warned:
        assert '"Request refused" (400)' in note and "Set WIRESAG_ALLOWED_HOSTS" in note
