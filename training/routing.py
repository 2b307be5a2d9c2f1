"""Websocket routes of the live training pages."""

from __future__ import annotations

from django.urls import URLPattern, path

from training.consumers import DashboardConsumer, RunConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/training/runs/", DashboardConsumer.as_asgi()),
    path("ws/training/runs/<int:run_id>/", RunConsumer.as_asgi()),
]
