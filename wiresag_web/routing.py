"""Websocket routes of every app, in one list, and a refusal for any other path."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from django.urls import URLPattern, re_path

from training.routing import websocket_urlpatterns as training_websockets

#: The close code of a path no page opens (as the live pages' "no such run").
CLOSE_NOT_FOUND = 4404


class NoSuchSocket(AsyncWebsocketConsumer):
    """Any other path: refused at once. Channels' router raised instead, so any visitor could fill the log with tracebacks."""

    async def connect(self) -> None:
        await self.close(code=CLOSE_NOT_FOUND)


websocket_urlpatterns: list[URLPattern] = [*training_websockets, re_path(r"", NoSuchSocket.as_asgi())]
