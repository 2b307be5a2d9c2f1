"""Websocket routes of every app, in one list."""

from __future__ import annotations

from django.urls import URLPattern

from training.routing import websocket_urlpatterns as training_websockets

websocket_urlpatterns: list[URLPattern] = [*training_websockets]
