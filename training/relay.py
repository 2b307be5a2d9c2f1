"""Getting a run's events from the process that wrote them to the browsers watching.

The ``RunEvent`` table is the outbox. With Redis (``WIRESAG_REDIS_URL``) the
writer publishes each row after its transaction commits and every web process
receives it through channels_redis. On the embedded default the in-memory
channel layer cannot cross processes, so each web process runs one relay that
polls the outbox for rows newer than the last it saw and sends them to its own
groups. Delivery is at most once either way: a page that reconnects loads a
snapshot from the database and applies later events idempotently.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.db import database_sync_to_async

from training.groups import cross_process_layer, send_to_groups
from training.models import RunEvent

logger = logging.getLogger("wiresag.training")

POLL_SECONDS = 0.25
BATCH = 500


def _latest_event_id() -> int:
    return RunEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _events_after(last_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    return list(RunEvent.objects.filter(id__gt=last_id).order_by("id").values_list("id", "run_id", "payload")[:BATCH])


class OutboxRelay:
    """One per web process: polls the outbox while at least one websocket is subscribed."""

    def __init__(self) -> None:
        self.subscribers = 0
        self.last_id: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._started: asyncio.Future[None] | None = None

    async def subscribe(self) -> None:
        """Count a subscriber and make sure the relay runs in this event loop.

        The starting point is read before returning, so a snapshot read after
        this call cannot miss an event: anything newer is relayed.
        """
        if cross_process_layer():
            return
        self.subscribers += 1
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            # Claim the slot before awaiting, so pages connecting at the same moment share one relay.
            self._started = loop.create_future()
            self._task = loop.create_task(self._run(self._started), name="wiresag-outbox-relay")
        assert self._started is not None
        await asyncio.shield(self._started)

    def unsubscribe(self) -> None:
        if cross_process_layer():
            return
        self.subscribers = max(0, self.subscribers - 1)

    async def _run(self, started: asyncio.Future[None]) -> None:
        try:
            self.last_id = await database_sync_to_async(_latest_event_id)()
            started.set_result(None)
            while self.subscribers > 0:
                await self.relay_once()
                await asyncio.sleep(POLL_SECONDS)
        except BaseException as error:
            if not started.done():
                started.set_exception(error)
            raise

    async def relay_once(self) -> int:
        """Send every row newer than the last seen; return how many were sent."""
        assert self.last_id is not None
        rows = await database_sync_to_async(_events_after)(self.last_id)
        for event_id, run_id, payload in rows:
            try:
                await send_to_groups(run_id, {**payload, "event_id": event_id})
            except Exception:  # one bad message must not stop the relay for every page
                logger.warning("Could not relay event %s of run %s.", event_id, run_id, exc_info=True)
            self.last_id = event_id
        return len(rows)


relay = OutboxRelay()
