"""``WIRESAG_DEBUG=1 manage.py serve`` without ``WIRESAG_SECRET_KEY``: the web server and the worker sign with one key.

Development mode makes a random secret key per process start. ``serve`` starts the web server and the worker as
processes of their own, so each made its own key: every job the web queued (a training run, an inspection, a
pre-annotation) was signed with a key the worker did not know. django-q2's pusher logged "BadSignature" and
dropped the task, and its page said "Waiting for a worker." (or the run "queued") for ever.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from wiresag_web.management.commands import serve


class _Ended:
    """A child process that has ended at once: ``serve`` then stops."""

    pid = 999_999_999

    def poll(self) -> int:
        return 0

    def wait(self, timeout: float | None = None) -> int:
        return 0

    def terminate(self) -> None:
        pass

    def kill(self) -> None:
        pass


@pytest.mark.django_db
def test_serve_gives_its_web_server_and_worker_one_secret_key(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("WIRESAG_SECRET_KEY", raising=False)  # development mode: a random key of this process
    started: dict[str, dict[str, Any]] = {}

    def popen(command: list[str], **kwargs: Any) -> _Ended:
        started[command[2] if command[1] == "-m" else command[-1]] = kwargs
        return _Ended()

    monkeypatch.setattr(serve.subprocess, "Popen", popen)
    monkeypatch.setattr(serve, "end_process_group", lambda pid: None)
    with pytest.raises(SystemExit):  # the children "ended": serve stops with them
        call_command("serve", "--port", "8765")

    assert set(started) == {"wiresag_web.server", "worker"}
    for kwargs in started.values():
        env = kwargs.get("env")
        assert env is not None and env.get("WIRESAG_SECRET_KEY") == django_settings.SECRET_KEY, sorted(env or {})
