"""The scale-out layout with its Redis queue stopped (WIRESAG_QUEUE=redis, docs/operations.md "Scaling out")."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from tests.live_fixtures import free_port, process_env
from training.models import RunStatus, TrainingRun


@pytest.fixture
def stopped_redis_queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """django-q2's broker is Redis, as with WIRESAG_QUEUE=redis, at an address where nothing answers (Redis stopped)."""
    from django_q.conf import Conf

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", url)
    yield url


def test_a_run_launched_while_the_redis_queue_is_down_says_so_and_can_be_resumed_later(  # type: ignore[no-untyped-def]
    client, engineer, tiny_library, transactional_db, stopped_redis_queue
) -> None:
    client.force_login(engineer)
    response = client.post(reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu"})
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("training:run_detail", args=[run.pk])
    # Not "Queued" for ever with no task anywhere: interrupted, with a sentence saying why and what to do.
    assert run.status == RunStatus.INTERRUPTED
    assert "The queue did not take this run" in run.error and "resume it once Redis runs again" in run.error
    assert run.error in client.get(response.url).content.decode()

    # Resuming while the queue is still down says the same, instead of a server error.
    response = client.post(reverse("training:control", args=[run.pk, "resume"]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.INTERRUPTED and "queue" in run.error


def live_processes(field: int, value: int) -> list[int]:
    """The live (not zombie) processes whose ``/proc/<pid>/stat`` field ``field`` (after the name; 1 parent, 2 group)
    is ``value`` (Linux)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split() if entry.name.isdecimal() else []
        except OSError:
            continue
        if fields and int(fields[field]) == value and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def group_members(group: int) -> list[int]:
    return live_processes(2, group)


def children_of(parent: int) -> list[int]:
    return live_processes(1, parent)


@contextlib.contextmanager
def running_worker(settings, log: Path, queue: str) -> Iterator[subprocess.Popen[bytes]]:  # type: ignore[no-untyped-def]
    """``manage.py worker --queue <queue>`` in a process group of its own, once its clusters run; killed after."""
    from django.conf import settings as django_settings

    worker = subprocess.Popen(
        [sys.executable, str(django_settings.BASE_DIR / "manage.py"), "worker", "--queue", queue],
        env=process_env(settings),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("running.") < (2 if queue == "all" else 1) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert worker.poll() is None, log.read_text()
        # The sentinel logs "running." just before the cluster's start returns and the worker sets its stop handling:
        # a stop in that instant is django-q2's own (it hung 1 in 3 runs on a busy machine); here it stops a running worker.
        time.sleep(2)
        yield worker
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("queue", ["training", "all"])
def test_a_sigterm_to_the_workers_whole_process_group_stops_it(transactional_db, settings, tmp_path, queue) -> None:  # type: ignore[no-untyped-def]
    """What ``systemctl stop`` (every process of the unit) or ``kill -- -PGID`` sends: the sentinel died of it at once, and
    the main process then waited for ever for the dead sentinel to see the stop event; it never ended."""
    with running_worker(settings, tmp_path / "worker.log", queue) as worker:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)  # TimeoutExpired: it hung
        deadline = time.monotonic() + 10
        while (left := group_members(worker.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], left  # the sentinel's processes and the quick cluster ended with it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sentinel_slow_to_die_of_the_groups_sigterm_still_lets_the_worker_stop(transactional_db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """At nice 19 on a busy machine the sentinel could take more than a second to die of the group's SIGTERM: the main
    process took the signal for its own, and django-q2's stop waited for ever for the dying sentinel to wake (1 run in 4
    of the test above beside a full test run). Here the sentinel is held stopped for 3 s with the signal pending."""
    log = tmp_path / "worker.log"
    with running_worker(settings, log, "training") as worker:
        (sentinel,) = children_of(worker.pid)
        os.kill(sentinel, signal.SIGSTOP)
        # Stopped before the SIGTERM comes: a busy machine may not have run it yet, and it would take the SIGTERM first.
        deadline = time.monotonic() + 30
        while Path(f"/proc/{sentinel}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T" and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGTERM)
        time.sleep(3)
        assert worker.poll() is None  # it waits for the sentinel it knows is ending
        os.kill(sentinel, signal.SIGCONT)  # it now dies of the pending SIGTERM
        worker.wait(timeout=20)  # TimeoutExpired: it hung in django-q2's stop
        assert "sentinel ended with signal 15" in log.read_text()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/training/runs/{run}/", "/ws/training/runs/"], ids=["run-page", "dashboard"])
def test_a_live_page_is_told_when_redis_does_not_answer(engineer, settings, path) -> None:  # type: ignore[no-untyped-def]
    """Redis stopped: each page's websocket ended in a server error (a traceback in the log at every retry) and the page
    said "reconnecting…" without why; it is now closed with a code the page turns into a sentence, and it retries."""
    from channels.testing import WebsocketCommunicator

    from tests.training.test_consumers import HOST, ORIGIN, TIMEOUT, run_async, session_cookie
    from training.consumers import CLOSE_UNAVAILABLE
    from wiresag_web.asgi import application

    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [{"address": url}]}}}
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        page = WebsocketCommunicator(application, path.format(run=run.pk), headers=[HOST, ORIGIN, cookie])
        connected, _ = await page.connect(timeout=TIMEOUT)
        assert connected  # accepted, so that the browser sees the close code (a refused handshake is only "1006")
        closed = await page.receive_output(timeout=TIMEOUT)
        assert closed["type"] == "websocket.close" and closed["code"] == CLOSE_UNAVAILABLE

    run_async(scenario)


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A Redis address that takes connections and never answers: a stopped (SIGSTOP) server, or a host gone silent."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # the kernel completes the handshakes; nothing ever reads or replies
    try:
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    finally:
        listener.close()


def test_a_hung_redis_holds_neither_the_training_loop_nor_a_request_for_long(settings, hung_redis, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each live event waited the channel layer's 30 s socket timeout: a training published one per batch (hours per
    epoch), and launching a run answered after two minutes. A publish now waits 2 s at most, and the next ones are
    skipped for a while (the database keeps every event; a page loads a snapshot when it connects)."""
    from training import groups
    from training.groups import publish_from_worker

    monkeypatch.setattr(groups, "_publish_paused_until", 0.0)  # and back to it afterwards: later tests publish again
    settings.REDIS_URL = hung_redis
    hosts = [{"address": hung_redis, "socket_timeout": 30}]  # as settings.py has it
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": hosts}}}
    started = time.monotonic()
    publish_from_worker(1, {"type": "progress", "run": 1, "event_id": 1})
    first = time.monotonic() - started
    for event_id in range(2, 12):  # the next batches of the same epoch
        publish_from_worker(1, {"type": "progress", "run": 1, "event_id": event_id})
    assert first < 5 and time.monotonic() - started < 6, (first, time.monotonic() - started)
    # A change of state is still tried while the progress events are skipped: a page must not keep "Running".
    tried = time.monotonic()
    publish_from_worker(1, {"type": "status", "run": 1, "status": "succeeded", "event_id": 12})
    assert 1.5 < time.monotonic() - tried < 5


@pytest.mark.django_db(transaction=True)
def test_a_live_page_is_told_soon_when_redis_hangs(engineer, settings, hung_redis) -> None:  # type: ignore[no-untyped-def]
    """A hung Redis (stopped with SIGSTOP) held each page's socket for the layer's 30 s socket timeout before it was told."""
    from channels.testing import WebsocketCommunicator

    from tests.training.test_consumers import HOST, ORIGIN, run_async, session_cookie
    from training.consumers import CLOSE_UNAVAILABLE
    from wiresag_web.asgi import application

    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    settings.REDIS_URL = hung_redis
    hosts = [{"address": hung_redis, "socket_timeout": 30}]  # as settings.py has it
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": hosts}}}
    cookie = session_cookie(engineer)

    async def scenario() -> None:
        page = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        started = time.monotonic()
        connected, _ = await page.connect(timeout=10)
        assert connected
        closed = await page.receive_output(timeout=10)
        assert closed["type"] == "websocket.close" and closed["code"] == CLOSE_UNAVAILABLE
        assert time.monotonic() - started < 6

    run_async(scenario)
