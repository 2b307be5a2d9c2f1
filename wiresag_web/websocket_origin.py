"""The websocket origin check: a page may open a websocket only to its own origin.

Channels' ``AllowedHostsOriginValidator`` compares only the host name, so a page served by
another program on another port of the same machine could open our websockets with the
user's cookie. This check compares scheme, host and port of the ``Origin`` header with the
origin the connection was made to (its ``Host`` header, which must be an allowed host, and
its scheme), like Django's CSRF check; ``CSRF_TRUSTED_ORIGINS`` are accepted as well.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """``(scheme, host, port)`` of an http(s) origin, the default port filled in; None when malformed."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def connection_origin(scope: dict[str, Any], headers: dict[bytes, str]) -> Origin | None:
    """The origin this websocket was opened to, from its Host header and scheme; None for a host not allowed."""
    host = headers.get(b"host", "")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    secure = scope.get("scheme") == "wss"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        # Behind our TLS proxy the browser's page is https although the proxy talks ws to us.
        name, value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        secure = secure or headers.get(header, "").split(",")[0].strip() == value
    return parse_origin(f"{'https' if secure else 'http'}://{host}")


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = {name: value.decode("latin1") for name, value in scope.get("headers", [])}
    origin = parse_origin(headers.get(b"origin", ""))
    if origin is None:
        return False
    trusted = {parse_origin(value) for value in settings.CSRF_TRUSTED_ORIGINS}
    return origin == connection_origin(scope, headers) or origin in trusted


class SameOriginValidator:
    """ASGI middleware that refuses a websocket whose Origin is not the origin it was opened to."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator checks websocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
