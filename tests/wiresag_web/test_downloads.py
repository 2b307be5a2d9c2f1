"""Under ASGI (daphne), a download leaves as it is read: never read whole into the web process first."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.test import Client

from wiresag_web.asgi import application
from wiresag_web.middleware import PIECE_BYTES

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 32 * PIECE_BYTES


class CountingReads:
    """A file that counts the bytes read from it and whether it was closed."""

    def __init__(self, real: Any, seen: dict[str, int]) -> None:
        self.real, self.seen = real, seen

    def read(self, size: int = -1) -> bytes:
        data = self.real.read(size)
        self.seen["read"] += len(data)
        return data

    def close(self) -> None:
        self.seen["closed"] += 1
        self.real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def scope_for(path: str, user: Any, method: str = "GET") -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }


async def download(scope: dict[str, Any], seen: dict[str, int]) -> tuple[dict[str, Any], bytes, int]:
    """The response's start, its body, and how many bytes of the file had been read when the first piece of the body arrived."""
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(timeout=30)
    pieces: list[bytes] = []
    read_at_first, more = -1, True
    while more:
        message = await communicator.receive_output(timeout=30)
        if read_at_first < 0 and message.get("body"):
            read_at_first = seen["read"]
        pieces.append(message.get("body", b""))
        more = message.get("more_body", False)
    await communicator.wait(timeout=30)
    return start, b"".join(pieces), read_at_first


@pytest.fixture
def big_file(monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, dict[str, int]]:
    """A 32 MiB media file at ``exports/big.bin``, and the count of the bytes read from it and of its closes."""
    content = os.urandom(SIZE)
    (settings.MEDIA_ROOT / "exports").mkdir()
    (settings.MEDIA_ROOT / "exports" / "big.bin").write_bytes(content)
    seen = {"read": 0, "closed": 0}
    real_open = pathlib.Path.open

    def counting_open(self: pathlib.Path, *args: Any, **kwargs: Any) -> Any:
        opened = real_open(self, *args, **kwargs)
        return CountingReads(opened, seen) if self.name == "big.bin" else opened

    monkeypatch.setattr(pathlib.Path, "open", counting_open)
    return content, seen


def test_a_big_file_leaves_while_it_is_being_read_and_is_closed(engineer, big_file) -> None:  # type: ignore[no-untyped-def]
    content, seen = big_file
    start, body, read_at_first = async_to_sync(download)(scope_for("/media/exports/big.bin", engineer), seen)
    assert start["status"] == 200 and body == content
    # Django alone reads the whole file (32 MiB) into a list before the first byte leaves; here a piece or a few.
    assert 0 < read_at_first <= SIZE // 4, f"{read_at_first} bytes were read before the first piece was sent"
    assert seen["closed"] == 1


def test_the_test_client_still_gets_the_whole_file(engineer) -> None:  # type: ignore[no-untyped-def]
    (settings.MEDIA_ROOT / "small.bin").write_bytes(b"x" * 1000)
    client = Client()
    client.force_login(engineer)
    response = client.get("/media/small.bin")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"x" * 1000


def test_a_head_request_reads_nothing_of_the_file_but_says_its_length(engineer, big_file) -> None:  # type: ignore[no-untyped-def]
    _, seen = big_file
    start, body, _ = async_to_sync(download)(scope_for("/media/exports/big.bin", engineer, "HEAD"), seen)
    assert start["status"] == 200 and body == b""
    assert (b"content-length", str(SIZE).encode()) in [(k.lower(), v) for k, v in start["headers"]]
    assert seen["read"] <= 16 and seen["closed"] == 1  # only the first bytes that tell a picture's type
