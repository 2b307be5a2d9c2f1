"""Channels' session login (the live websockets, the embedded TensorBoard), checked as Django checks a page's.

Channels' ``get_user`` compares the session's hash with the current ``SECRET_KEY`` only, and flushes the session when
it differs: after a scheduled change of key (the old one in ``WIRESAG_SECRET_KEY_FALLBACKS``) a live page that
reconnected, or a TensorBoard that polled, before any page was loaded logged its user out everywhere. Here a hash made
with an old key logs in too, as Django's ``get_user`` does; the session is left as it is (a websocket cannot give the
browser the new session key Django cycles to), and the next page renews it.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware
from channels.db import database_sync_to_async
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.utils.crypto import constant_time_compare


@database_sync_to_async
def session_user(scope: dict[str, Any]) -> Any:
    """The user the scope's session logs in, its hash made with the current or an old key; else ``AnonymousUser``
    (a session whose hash no key made, one from before a password change, is flushed, as Channels and Django do)."""
    from django.contrib.auth.models import AnonymousUser

    session = scope["session"]
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    user = load_backend(backend_path).get_user(user_id)
    if user is None:
        return AnonymousUser()
    stored = session.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not stored or not any(constant_time_compare(stored, made) for made in hashes):
        session.flush()
        return AnonymousUser()
    return user


class FallbackKeyAuthMiddleware(AuthMiddleware):
    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await session_user(scope)


def AuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 (Channels' own name: a drop-in)
    """Channels' ``AuthMiddlewareStack`` with ``FallbackKeyAuthMiddleware``."""
    return CookieMiddleware(SessionMiddleware(FallbackKeyAuthMiddleware(inner)))
