"""The web server refuses an oversize body while it streams in, before the application reads it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_fixtures import free_port

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1024 * 1024


@pytest.fixture
def bounded_server(tmp_path) -> Iterator[int]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_")}
    env.update(WIRESAG_DEBUG="1", WIRESAG_DATA_DIR=str(tmp_path / "data"), WIRESAG_REQUEST_MAX_BYTES=str(LIMIT))
    process = subprocess.Popen(
        [sys.executable, "-m", "wiresag_web.server", "-b", "127.0.0.1", "-p", str(port), "wiresag_web.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        yield port
    finally:
        process.kill()
        process.wait(timeout=10)


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


@pytest.mark.slow
def test_content_length_over_the_limit_is_refused_before_the_body(bounded_server):
    with socket.create_connection(("127.0.0.1", bounded_server)) as sock:
        sock.sendall(
            b"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 300000000\r\n\r\n"
        )
        answer = _answer(sock)  # not one byte of the 300 MB was sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"WIRESAG_REQUEST_MAX_BYTES" in answer


@pytest.mark.slow
def test_chunked_body_is_refused_once_it_passes_the_limit(bounded_server):
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", bounded_server)) as sock:
        sock.sendall(b"POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < 40 * LIMIT:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = _answer(sock)
    # The server stopped taking the body long before 40x the limit (socket buffers hold a few MB).
    assert sent < 20 * LIMIT, sent
    assert answer.startswith(b"HTTP/1.1 413") or answer == b"", answer[:200]


@pytest.mark.slow
def test_a_body_under_the_limit_reaches_the_application(bounded_server):
    with socket.create_connection(("127.0.0.1", bounded_server)) as sock:
        sock.sendall(b"POST /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nx=1&y")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]  # Django's CSRF refusal: the app saw it
