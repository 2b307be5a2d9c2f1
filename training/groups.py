"""Websocket groups of live training events, and publishing one event to them.

Used by the writer (``RunEvent.objects.emit`` publishes after commit when the channel
layer crosses processes) and by the relay (which polls the outbox otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import time
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


#: The longest one publish waits for Redis. A hung Redis (stopped, or its host gone without a reset) answers nothing, and
#: the layer's socket timeout (30 s, for its idle reads) held the training loop, or a page's request, at every event.
PUBLISH_TIMEOUT_SECONDS = 2.0
#: After a publish failed, this process skips publishing this long: a training sends an event per batch. Status events
#: (one per change of state) are still tried, so that a page never keeps "Running" after its run ended.
PUBLISH_PAUSE_SECONDS = 15.0
_publish_paused_until = 0.0


async def _send_within_timeout(run_id: int, message: dict[str, Any]) -> None:
    await asyncio.wait_for(send_to_groups(run_id, message), PUBLISH_TIMEOUT_SECONDS)


def publish_from_worker(run_id: int, message: dict[str, Any]) -> None:
    """Called after commit: publish directly when the layer crosses processes, else leave it to the relay.

    The row is committed: a lost message only delays a live view until it reconnects (and loads a snapshot).
    """
    global _publish_paused_until
    if not cross_process_layer():
        return
    if time.monotonic() < _publish_paused_until and message.get("type") != "status":
        return
    try:
        async_to_sync(_send_within_timeout)(run_id, message)
    except Exception:
        _publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
        logger.warning(
            "Could not publish event %s of run %s to the channel layer; live events of this process wait %d s before the next try.",
            message.get("event_id"),
            run_id,
            PUBLISH_PAUSE_SECONDS,
            exc_info=True,
        )
