"""Probing manage.py serve as an operator starts it a second time, or mistypes where it listens."""

from __future__ import annotations

import socket

import pytest
from django.core.management import CommandError, call_command

from wiresag_web.management.commands import serve


@pytest.fixture
def nothing_starts(monkeypatch):  # type: ignore[no-untyped-def]
    def started(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("serve started a process")

    monkeypatch.setattr(serve.subprocess, "Popen", started)


# --- 1. serve --web-processes 2 on a port already taken (a second serve, a forgotten one) ended in an OSError traceback ---


def test_several_web_processes_on_a_port_in_use_are_refused_with_a_sentence(db, nothing_starts) -> None:  # type: ignore[no-untyped-def]
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(CommandError, match=rf"Cannot listen on 127\.0\.0\.1:{port} .*in use.*choose another --port"):
            call_command("serve", "--no-worker", "--web-processes", "2", "--port", str(port))
    finally:
        taken.close()


@pytest.mark.parametrize(
    ("where", "sentence"),
    [
        (["--port", "99999"], r"--port 99999 is not a TCP port.*1 to 65535"),
        (["--host", "no-such-host.invalid"], r"Cannot listen on no-such-host\.invalid"),
    ],
)
def test_a_mistyped_port_or_host_is_refused_with_a_sentence(db, nothing_starts, where: list[str], sentence: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=sentence):
        call_command("serve", "--no-worker", "--web-processes", "2", *where)
