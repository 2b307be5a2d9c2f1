"""The library's lot filter takes every wire group the library accepts (docs/import-export.md: up to 200 characters)."""

from __future__ import annotations

import re

from core.safepath import MAX_GROUP_LENGTH, wire_group_problem
from tests.conftest import PASSWORD

LONG_GROUP = "lot-2026-11/" + "tray-" + "7" * 150


def test_the_lot_filter_finds_a_wire_group_longer_than_100_characters(client, annotator, make_image) -> None:  # type: ignore[no-untyped-def]
    """A lot of 101-200 characters, accepted at upload and import, made the filter invalid: the library showed every
    picture under it (and the page's field, limited to 100 characters, cut a pasted lot short)."""
    assert wire_group_problem(LONG_GROUP) is None and 100 < len(LONG_GROUP) <= MAX_GROUP_LENGTH
    wanted = make_image("a_TOP.png", wire_group=LONG_GROUP)
    make_image("b_TOP.png", wire_group="lot-8")
    client.login(username=annotator.username, password=PASSWORD)
    response = client.get("/library/", {"group": LONG_GROUP})
    assert [image.pk for image, *_ in response.context["cards"]] == [wanted.pk]
    assert not response.context["form"].errors
    field = re.search(r'<input[^>]* name="group"[^>]*>', response.content.decode())
    assert field and f'maxlength="{MAX_GROUP_LENGTH}"' in field[0]
