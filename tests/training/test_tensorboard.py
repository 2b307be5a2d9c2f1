"""The embedded TensorBoard: behind the login, one run's scalars, framable by our own pages, offline."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.test import Client

from core.training.events import EpochEvent
from core.training.tensorboard import TensorBoardSink
from training.models import TrainingRun
from training.tensorboard_app import log_dir
from wiresag_web.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def cookie_of(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def get(path: str, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return async_to_sync(HttpCommunicator(application, "GET", path, headers=list(headers)).get_response)(timeout=60)


@pytest.fixture
def run_with_scalars(transactional_db) -> TrainingRun:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    sink = TensorBoardSink(log_dir(run.pk))
    for epoch, loss in ((1, 0.9), (2, 0.5)):
        sink.on_epoch(EpochEvent(epoch=epoch, epochs=2, metrics={"train/loss": loss}, learning_rate=0.01))
    sink.writer.close()
    return run


def test_logged_out_request_is_refused(run_with_scalars: TrainingRun) -> None:
    response = get(f"/tensorboard/{run_with_scalars.pk}/data/plugin/scalars/tags")
    assert response["status"] == 302
    assert dict(response["headers"])[b"location"].startswith(b"/login/")


def test_annotator_is_refused(run_with_scalars: TrainingRun, annotator) -> None:  # type: ignore[no-untyped-def]
    assert get(f"/tensorboard/{run_with_scalars.pk}/", cookie_of(annotator))["status"] == 403


def test_engineer_gets_that_runs_scalars_and_a_frameable_offline_page(run_with_scalars: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    cookie = cookie_of(engineer)
    prefix = f"/tensorboard/{run_with_scalars.pk}"
    tags = json.loads(get(f"{prefix}/data/plugin/scalars/tags", cookie)["body"])
    assert "train/loss" in tags["."]
    response = get(f"{prefix}/data/plugin/scalars/scalars?run=.&tag=train/loss", cookie)
    assert response["status"] == 200
    assert [(step, round(value, 3)) for _, step, value in json.loads(response["body"])] == [(1, 0.9), (2, 0.5)]
    page = get(f"{prefix}/", cookie)
    assert page["status"] == 200
    assert dict(page["headers"])[b"x-frame-options"] == b"SAMEORIGIN"
    # Offline: the page loads nothing from another host.
    html = page["body"].decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_unknown_run_is_not_found(engineer) -> None:  # type: ignore[no-untyped-def]
    assert get("/tensorboard/987654/", cookie_of(engineer))["status"] == 404


def test_the_fonts_tensorboards_page_asks_for_at_the_site_root_are_served(run_with_scalars: TrainingRun, engineer) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 item 1: its index.html asks for /font-roboto/*.woff2 (absolute), which gave a 404 per font."""
    cookie = cookie_of(engineer)
    html = get(f"/tensorboard/{run_with_scalars.pk}/", cookie)["body"].decode()
    fonts = sorted(set(re.findall(r"url\((/font-roboto/[^)]+\.woff2)\)", html)))
    assert fonts
    for path in fonts[:3]:
        response = get(path, cookie)
        assert response["status"] == 200 and dict(response["headers"])[b"content-type"] == b"font/woff2"
        assert response["body"][:4] == b"wOF2"
    assert get(fonts[0])["status"] == 404  # not without a login
    assert get("/font-roboto/../settings.py", cookie)["status"] == 404


def test_a_board_reads_its_event_files_off_the_thread_the_database_calls_share(
    run_with_scalars: TrainingRun, engineer, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A board reads every event file when it starts and the new ones when it refreshes. It did so on the one thread
    that every thread-sensitive call (each page's and each live websocket's database work) shares, so a big run's
    first view held up every live page for as long as it read (28 s for 11 runs' worth of events). Here that shared
    thread is the test's own: async_to_sync runs thread-sensitive work in the thread that called it."""
    import threading

    import training.tensorboard_app as tensorboard_app

    monkeypatch.setattr(tensorboard_app, "_apps", {})
    monkeypatch.setattr(tensorboard_app, "RELOAD_SECONDS", 0.0)
    reads: list[int] = []

    class Watched(tensorboard_app.RunBoard):
        def __init__(self, *args: Any) -> None:
            reads.append(threading.get_ident())
            super().__init__(*args)

        def refresh(self) -> None:
            reads.append(threading.get_ident())
            super().refresh()

    monkeypatch.setattr(tensorboard_app, "RunBoard", Watched)
    answer = get(f"/tensorboard/{run_with_scalars.pk}/data/plugin/scalars/tags", cookie_of(engineer))
    assert answer["status"] == 200 and "train/loss" in json.loads(answer["body"])["."]
    assert len(reads) == 2 and threading.get_ident() not in reads
