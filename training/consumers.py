"""Websockets of the live training pages: check the user, join the group, send a snapshot, forward events.

They never write. The session comes from Channels' ``AuthMiddlewareStack``
and the origin check from ``wiresag_web.websocket_origin`` (see ``asgi.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare
from redis.exceptions import RedisError

from accounts.roles import ENGINEER, has_role
from training.groups import DASHBOARD_GROUP, run_group
from training.live import dashboard_state, run_state
from training.models import TrainingRun
from training.relay import relay

logger = logging.getLogger("wiresag.training")

#: Close codes the page understands (4000-4999 are free for applications).
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
#: The channel layer (Redis, ``WIRESAG_REDIS_URL``) does not answer: no live event can come; the page says so and retries.
CLOSE_UNAVAILABLE = 4503
#: Said before ``CLOSE_FORBIDDEN`` to a user still logged in whose role does not let them watch: logging in again
#: (what the page says for a bare 4403, an ended login) would not help.
NO_ROLE_SENTENCE = (
    "Live updates stopped: your account does not have the engineer role (any more). Ask an admin to give it back, then reload this page."
)
#: The longest a page waits to join its live events: over it, Redis is taken as not answering (``CLOSE_UNAVAILABLE``).
JOIN_TIMEOUT_SECONDS = 2.0


def _still_logs_in(session: Any, user: Any) -> bool:
    """Whether the session still logs ``user`` in, read afresh from its store as the next page would read it: stored and
    unexpired, and made before the account's last password change (Django's session hash, checked on every page).

    ``exists`` only asks for the stored row, which outlives the session's end (one shift) until ``clearsessions``. A
    password change leaves the account's other sessions stored; only their hash tells they ended. Unlike Django's
    ``get_user`` this writes nothing (it would flush the ended session, or give one under an old secret key a new key
    that the browser never learns).
    """
    if not session.session_key:
        return False
    fresh = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    stored = fresh.load()  # an ended or deleted session forgets its key
    if fresh.session_key is None or str(stored.get(SESSION_KEY)) != str(user.pk):
        return False
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(stored.get(HASH_SESSION_KEY, ""), user._get_session_auth_hash(secret=secret)) for secret in secrets)


class _LiveConsumer(AsyncJsonWebsocketConsumer):
    group = ""
    subscribed = False
    accepted = False

    async def _allowed(self) -> bool:
        user = self.scope.get("user")
        return user is not None and await database_sync_to_async(has_role)(user, ENGINEER)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Redis stopped (the channel layer, ``WIRESAG_REDIS_URL``): the page is told with ``CLOSE_UNAVAILABLE`` and retries.

        Joining the group and the connection's own channel both fail then; each retry of each page logged a traceback.
        The socket is accepted first where it was not yet: a refused handshake reaches the browser only as "1006".
        """
        try:
            await super().__call__(scope, receive, send)
        except RedisError as error:
            logger.warning("A live page could not use Redis (WIRESAG_REDIS_URL), which does not answer: %s", error)
            with contextlib.suppress(Exception):  # the browser may have gone already
                if not self.accepted:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def _refuse(self, code: int) -> None:
        """Accept, then close with ``code``: a handshake refused before its accept reaches the browser only as "1006",
        and the page would say "reconnecting…" for ever to a user whose login ended or whose run was deleted."""
        await self.accept()
        if code == CLOSE_FORBIDDEN:
            await self._close_forbidden()
        else:
            await self.close(code=code)

    async def _close_forbidden(self) -> None:
        """Close with ``CLOSE_FORBIDDEN``, first telling a user who is still logged in that their role is missing."""
        if await database_sync_to_async(self._logged_in_user)() is not None:
            await self.send_json({"type": "refused", "error": NO_ROLE_SENTENCE})
        await self.close(code=CLOSE_FORBIDDEN)

    async def _join(self, group: str) -> None:
        try:  # a hung Redis (stopped, or its host gone silent) held the page for the layer's 30 s socket timeout
            await asyncio.wait_for(self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS)
        except TimeoutError:
            raise RedisError(f"joining the live events took over {JOIN_TIMEOUT_SECONDS:.0f} s") from None
        self.group = group
        # Subscribe before reading the snapshot: any event committed after it is relayed.
        await relay.subscribe()
        self.subscribed = True

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.subscribed:
            relay.unsubscribe()
            self.subscribed = False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Pages only listen; anything they send is ignored, without decoding it (text that is not JSON, binary
        frames or JSON nested deeper than Python parses would otherwise end the connection with an error)."""

    def _logged_in_user(self) -> Any:
        """The connection's user, read fresh, while its account is active and its session still logs it in; else None."""
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None:
            return None
        current = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
        return current if current is not None and _still_logs_in(session, current) else None

    def _still_allowed(self) -> bool:
        """Whether the connection's user still may watch: an active account, a session still logging it in, the role (read fresh)."""
        current = self._logged_in_user()
        return current is not None and has_role(current, ENGINEER)

    async def run_event(self, event: dict[str, Any]) -> None:
        # Checked for every event: a role taken away, an account switched off, a logout or a password change ends the
        # stream at once.
        if not await database_sync_to_async(self._still_allowed)():
            await self._close_forbidden()
            return
        await self.send_json(event["payload"])


class RunConsumer(_LiveConsumer):
    """One run's page: epochs, progress, log lines and status changes."""

    async def connect(self) -> None:
        if not await self._allowed():
            await self._refuse(CLOSE_FORBIDDEN)
            return
        run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        if not await database_sync_to_async(TrainingRun.objects.filter(pk=run_id).exists)():
            await self._refuse(CLOSE_NOT_FOUND)
            return
        await self._join(run_group(run_id))
        await self.accept()
        await self.send_json(await database_sync_to_async(lambda: run_state(TrainingRun.objects.without_snapshot().get(pk=run_id)))())


class DashboardConsumer(_LiveConsumer):
    """The list of all runs: status and progress of each."""

    async def connect(self) -> None:
        if not await self._allowed():
            await self._refuse(CLOSE_FORBIDDEN)
            return
        await self._join(DASHBOARD_GROUP)
        await self.accept()
        await self.send_json(await database_sync_to_async(dashboard_state)())
