"""The help pages: a page or picture name longer than the file system allows is a 404."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/help/" + "a" * 300 + "/", "/help/screenshots/" + "a" * 300 + ".png"], ids=["page", "screenshot"])
def test_a_help_name_too_long_is_a_404_not_a_500(annotator, path) -> None:  # type: ignore[no-untyped-def]
    """The name passes the pattern ([a-z][a-z0-9-]*) but is longer than NAME_MAX: Path.is_file() raises
    OSError ENAMETOOLONG instead of returning False, a 500 for any logged-in user."""
    client = Client(raise_request_exception=False)
    client.force_login(annotator)
    assert client.get(path).status_code == 404
