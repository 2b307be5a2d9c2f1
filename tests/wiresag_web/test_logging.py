"""Tracebacks reach the data folder's log file, not only the console."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path


class Boom(Exception):
    pass


MARKER = f"boom-{uuid.uuid4().hex}"


def exploding_view(request: HttpRequest) -> HttpResponse:
    raise Boom(MARKER)


urlpatterns = [path("explode/", exploding_view)]


def log_file_text() -> str:
    """The data folder's log file, after flushing every handler that writes it."""
    [handler] = [h for h in logging.getLogger("wiresag").handlers if isinstance(h, logging.FileHandler)]
    for logger_name in ("wiresag", "django", "django-q"):
        for each in logging.getLogger(logger_name).handlers:
            each.flush()
    return Path(handler.baseFilename).read_text(encoding="utf-8")


@pytest.mark.django_db
def test_a_view_that_raises_leaves_its_traceback_in_the_log_file(settings, engineer) -> None:  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(engineer)
    assert client.get("/explode/").status_code == 500
    text = log_file_text()
    assert "Internal Server Error: /explode/" in text
    assert "Traceback (most recent call last)" in text
    assert f"Boom: {MARKER}" in text


def test_worker_errors_reach_the_log_file_and_its_chatter_does_not() -> None:
    chatter, failure = f"idle-{uuid.uuid4().hex}", f"failed-{uuid.uuid4().hex}"
    queue_logger = logging.getLogger("django-q")
    queue_logger.info(chatter)
    try:
        raise Boom(failure)
    except Boom:
        queue_logger.exception("Task training-run-1 failed")
    text = log_file_text()
    assert f"Boom: {failure}" in text and "Traceback (most recent call last)" in text
    assert chatter not in text
