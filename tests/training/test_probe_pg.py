"""The launch form's wire group, tried in Chromium: a group no picture is in is said, not "upload pictures"."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from annotations.models import Image
from training.models import TrainingRun

pytestmark = pytest.mark.django_db

LOT = "2026-11/customer-7"


def launch(client, wire_group: str) -> str:  # type: ignore[no-untyped-def]
    form = {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "wire_group": wire_group}
    return html.unescape(client.post(reverse("training:launch"), form).content.decode())


def test_a_wire_group_no_picture_is_in_says_so_not_that_the_library_has_no_annotations(client, engineer, tiny_library) -> None:  # type: ignore[no-untyped-def]
    """A mistyped (or shortened) group answered "There are no annotated pictures to train on. Upload and annotate
    pictures, or import annotations", with sixteen annotated pictures in the library."""
    Image.objects.update(wire_group=f"{LOT}/line-3")
    client.force_login(engineer)
    page = launch(client, f"{LOT}/line-4")
    assert "Upload and annotate pictures" not in page
    assert f'No picture in the library is in wire group "{LOT}/line-4"' in page
    assert not TrainingRun.objects.exists()


def test_a_folder_above_the_wire_groups_names_one_of_them(client, engineer, tiny_library) -> None:  # type: ignore[no-untyped-def]
    """The library's Lot filter shows a folder's pictures with those below it; the launch form takes one group exactly."""
    Image.objects.update(wire_group=f"{LOT}/line-3")
    client.force_login(engineer)
    page = launch(client, LOT)
    assert "Upload and annotate pictures" not in page
    assert f'No picture in the library is in wire group "{LOT}" itself' in page
    assert f'"{LOT}/line-3"' in page
