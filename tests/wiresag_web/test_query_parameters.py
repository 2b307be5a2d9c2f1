"""Ids in query strings and form fields: odd digits and huge numbers are ignored, never a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.params import MAX_DATABASE_INT, parse_id

ODD_IDS = ["²", "١٢", "9" * 5000, str(MAX_DATABASE_INT + 1), "-1", " 1", "1.0", ""]


@pytest.mark.parametrize("raw", ODD_IDS)
def test_parse_id_refuses_what_is_not_a_storable_id(raw: str) -> None:
    assert parse_id(raw) is None


def test_parse_id_reads_plain_ids() -> None:
    assert (parse_id("0"), parse_id("42"), parse_id(str(MAX_DATABASE_INT))) == (0, 42, MAX_DATABASE_INT)


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["²", "9" * 5000, str(MAX_DATABASE_INT + 1), "99999999999999999999"])
@pytest.mark.parametrize(
    "url, name",
    [
        (reverse("annotations:library"), "after"),
        (reverse("annotations:library"), "before"),
        (reverse("review:queue"), "version"),
    ],
)
def test_odd_ids_in_query_strings_are_ignored(engineer_client, make_image, url: str, name: str, raw: str) -> None:  # type: ignore[no-untyped-def]
    make_image()
    response = engineer_client.get(url, {name: raw})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["²", "9" * 5000, "99999999999999999999"])
def test_odd_version_ids_to_compare_are_ignored(engineer_client, raw: str) -> None:  # type: ignore[no-untyped-def]
    response = engineer_client.get(reverse("registry:compare"), {"v": [raw, "1"]})
    assert response.status_code == 302  # fewer than two known versions: back to the list with a message
