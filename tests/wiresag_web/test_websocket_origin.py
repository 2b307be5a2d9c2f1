"""The websocket origin check on its own: scheme, host and port, behind a TLS proxy too."""

from __future__ import annotations

from wiresag_web.websocket_origin import origin_allowed, parse_origin


def scope(origin: str, host: str, **headers: str) -> dict[str, object]:
    pairs = [(b"origin", origin.encode()), (b"host", host.encode())]
    pairs += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": "ws", "headers": pairs}


def test_parse_origin_fills_in_the_default_port_and_refuses_other_schemes() -> None:
    assert parse_origin("https://Example.org") == ("https", "example.org", 443)
    assert parse_origin("http://[::1]:8000") == ("http", "::1", 8000)
    assert parse_origin("null") is None
    assert parse_origin("file:///x") is None
    assert parse_origin("http://localhost:99999") is None


def test_behind_the_tls_proxy_the_page_origin_is_https(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(scope("https://localhost", "localhost", x_forwarded_proto="https"))
    assert not origin_allowed(scope("https://localhost", "localhost"))
    assert not origin_allowed(scope("http://localhost", "localhost", x_forwarded_proto="https"))


def test_without_a_proxy_a_forwarded_header_is_not_believed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = None
    assert not origin_allowed(scope("https://localhost", "localhost", x_forwarded_proto="https"))
    assert origin_allowed(scope("http://localhost", "localhost", x_forwarded_proto="https"))


def test_a_missing_origin_or_host_is_refused() -> None:
    assert not origin_allowed({"type": "websocket", "headers": [(b"host", b"localhost")]})
    assert not origin_allowed({"type": "websocket", "headers": [(b"origin", b"http://localhost")]})
