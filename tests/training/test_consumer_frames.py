"""The live training websockets: frames a page never sends are ignored, and the socket stays counted right."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from training.models import TrainingRun
from training.relay import relay
from wiresag_web.asgi import application

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")
TIMEOUT = 5


def cookie_of(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "frame",
    [{"text_data": "not json{"}, {"bytes_data": b"\x00\x01binary"}, {"text_data": "[" * 100_000 + "]" * 100_000}],
    ids=["text-not-json", "binary", "deeply-nested"],
)
def test_a_frame_the_page_never_sends_is_ignored_not_a_crash(engineer, frame) -> None:  # type: ignore[no-untyped-def]
    """The consumer says 'anything they send is ignored'; a malformed frame must not raise out of the
    consumer (the server logs a traceback, closes 1011 and never calls disconnect, so the relay keeps
    counting the dead socket as a subscriber and polls the outbox forever)."""
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 3})
    cookie = cookie_of(engineer)
    before = relay.subscribers

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, f"/ws/training/runs/{run.pk}/", headers=[HOST, ORIGIN, cookie])
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await communicator.receive_json_from(timeout=TIMEOUT)  # the snapshot
        await communicator.send_to(**frame)
        # The consumer must still be alive: nothing comes back and it closes cleanly.
        assert await communicator.receive_nothing(timeout=0.5)
        await communicator.disconnect()

    error = None
    try:
        async_to_sync(scenario)()
    except Exception as raised:  # noqa: BLE001  (what escaped the consumer)
        error = raised
    leaked = relay.subscribers - before
    relay.subscribers = before
    assert error is None and leaked == 0, f"consumer raised {error!r}; {leaked} relay subscriber(s) left counted"
