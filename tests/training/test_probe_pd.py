"""The launch form takes every wire group the library accepts (docs/live-training.md, "Which annotations")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.safepath import MAX_GROUP_LENGTH, wire_group_problem

LONG_GROUP = "lot-2026-11/" + "tray-" + "7" * 150


@pytest.mark.django_db
def test_a_run_can_be_limited_to_a_wire_group_longer_than_100_characters(client, engineer) -> None:  # type: ignore[no-untyped-def]
    """A group of 101-200 characters, accepted at upload and import, was refused by the launch form ("at most 100
    characters"), and its field cut a pasted group to 100 characters, which then matched no picture."""
    assert wire_group_problem(LONG_GROUP) is None and 100 < len(LONG_GROUP) <= MAX_GROUP_LENGTH
    client.force_login(engineer)
    page = client.get(reverse("training:launch")).content.decode()
    field = re.search(r'<input[^>]* name="wire_group"[^>]*>', page)
    assert field and f'maxlength="{MAX_GROUP_LENGTH}"' in field[0]
    response = client.post(
        reverse("training:launch"), {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "wire_group": LONG_GROUP}
    )
    assert "wire_group" not in response.context["form"].errors
