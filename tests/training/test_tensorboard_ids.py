"""The embedded TensorBoard: run ids too long for a database or a file name are a 404."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.conf import settings
from django.test import Client

from wiresag_web.asgi import application


def cookie_of(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


def get(path: str, cookie):  # type: ignore[no-untyped-def]
    async def scenario():  # type: ignore[no-untyped-def]
        communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost"), cookie])
        return await communicator.get_response(timeout=10)

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("digits", [300, 5000], ids=["name-too-long", "int-too-long"])
def test_a_run_id_too_long_is_a_404_not_a_crash(engineer, settings, tmp_path, digits) -> None:  # type: ignore[no-untyped-def]
    """/tensorboard/<run id>/ with a run id of hundreds of digits: the folder name is longer than the
    file system allows (OSError ENAMETOOLONG from is_dir) or int() refuses it (ValueError). Either
    escapes the ASGI app, a 500 from the server, where a 404 'no such run' is expected."""
    settings.RUNS_DIR = tmp_path / "runs"
    settings.RUNS_DIR.mkdir()
    response = get(f"/tensorboard/{'9' * digits}/", cookie_of(engineer))
    assert response["status"] == 404
