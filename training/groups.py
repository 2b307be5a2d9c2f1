"""Websocket groups of live training events, and publishing one event to them.

Used by the writer (``RunEvent.objects.emit`` publishes after commit when the channel
layer crosses processes) and by the relay (which polls the outbox otherwise).
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger("wiresag.training")

DASHBOARD_GROUP = "training.runs"
#: Event types the dashboard of all runs needs; epochs and logs stay on the run page.
DASHBOARD_TYPES = frozenset({"status", "progress", "epoch"})


def run_group(run_id: int) -> str:
    return f"training.run.{run_id}"


def cross_process_layer() -> bool:
    """True when the channel layer reaches other processes (Redis), so writers publish themselves."""
    return bool(settings.REDIS_URL)


async def send_to_groups(run_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    envelope = {"type": "run.event", "payload": message}
    await layer.group_send(run_group(run_id), envelope)
    if message.get("type") in DASHBOARD_TYPES:
        await layer.group_send(DASHBOARD_GROUP, envelope)


def publish_from_worker(run_id: int, message: dict[str, Any]) -> None:
    """Called after commit: publish directly when the layer crosses processes, else leave it to the relay."""
    if not cross_process_layer():
        return
    try:
        async_to_sync(send_to_groups)(run_id, message)
    except Exception:  # the row is committed; a lost message only delays a live view until it reconnects
        logger.warning("Could not publish event %s of run %s to the channel layer.", message.get("event_id"), run_id, exc_info=True)
