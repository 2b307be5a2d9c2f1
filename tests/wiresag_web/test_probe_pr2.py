"""The scale-out layout's Redis address, checked at start-up."""

from __future__ import annotations

import pytest

from tests.wiresag_web.test_settings import run_manage


@pytest.mark.parametrize("url", ["localhost:6379", "queue-host:6379/0", "http://queue-host:6379/0", "redis://queue-host:port/0"])
def test_a_redis_url_redis_cannot_read_names_the_variable_at_start_up(tmp_path, url) -> None:  # type: ignore[no-untyped-def]
    """'localhost:6379' (no redis://) started: then /health/ was a 500 (ValueError) and so was every launch with
    WIRESAG_QUEUE=redis, and every live page's websocket."""
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_REDIS_URL=url)
    assert result.returncode != 0
    assert "WIRESAG_REDIS_URL" in result.stderr and "redis://queue-host:6379/0" in result.stderr


def test_a_redis_url_with_an_address_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_manage(["check"], tmp_path, WIRESAG_DEBUG="1", WIRESAG_REDIS_URL="redis://:secret@queue-host:6379/2")
    assert result.returncode == 0, result.stderr
