"""The Models page walked as docs/models.md tells it: the activation history keeps what each activation replaced."""

from __future__ import annotations

import html
import re

from django.urls import reverse

from registry import versions as registry
from tests.conftest import PASSWORD
from tests.registry.test_pages import make


def test_the_history_still_names_the_version_an_activation_replaced_after_that_version_is_deleted(  # type: ignore[no-untyped-def]
    client, engineer, tmp_path
):
    """Activate A, then B (replacing A), then delete A: B's row said "Replaced –", as if B had replaced nothing."""
    first, second = make(tmp_path), make(tmp_path)
    registry.activate(first, engineer, reason="first")
    registry.activate(second, engineer, reason="better")
    registry.delete_version(first, engineer)

    client.login(username=engineer.username, password=PASSWORD)
    page = html.unescape(client.get(reverse("registry:index")).content.decode())
    row = next(row for row in re.findall(r"<tr>.*?</tr>", page, re.S) if "better" in row)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert f"{first.name} (deleted)" in cells, cells
