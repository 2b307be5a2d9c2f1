"""Versions ticked to compare stay ticked from one page of the Models list to the next.

The Newer/Older links of a long list dropped every tick made on the page: comparing a version of page 1 with one of
page 3 meant typing their ids into the address. The page buttons now send the compare form to the list, which
turns the page and keeps what was ticked; ticks on pages not shown are listed, still ticked, beside the Compare
button, so the comparison gets them too.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from registry.views import VERSIONS_PER_PAGE
from tests.conftest import PASSWORD
from tests.registry.test_probe_ml import many_versions

INDEX = reverse("registry:index")


def ticked(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<input type="checkbox" name="v" value="(\d+)"[^>]*\bchecked\b', page)]


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_turning_a_page_keeps_the_ticks_and_the_other_lists_pages(engineer_client) -> None:  # type: ignore[no-untyped-def]
    defect = many_versions(VERSIONS_PER_PAGE + 2, "defect")
    many_versions(VERSIONS_PER_PAGE + 2, "view")
    newest = defect[-1]
    # What the browser sends for "Older" under the defect list: the form's ticks, every list's page, the button.
    answer = engineer_client.get(INDEX, {"v": [newest.pk], "detection_page": 1, "view_page": 2, "defect_page": 1, "go": "defect:2"})
    assert answer.status_code == 302
    assert answer.url == f"{INDEX}?v={newest.pk}&detection_page=1&view_page=2&defect_page=2#type-defect"

    second = engineer_client.get(answer.url).content.decode()
    assert "Page 2 of 2 (52 defect versions)" in second and "Page 2 of 2 (52 view versions)" in second
    assert ticked(second) == [newest.pk]  # listed on page 1, still ticked on page 2
    assert re.search(rf"Also ticked, on pages not shown: <label><input[^>]*value=\"{newest.pk}\"[^>]*> {newest.name}</label>", second)


@pytest.mark.django_db
def test_a_version_ticked_on_the_page_shown_is_not_listed_twice(engineer_client) -> None:  # type: ignore[no-untyped-def]
    versions = many_versions(3, "defect")
    page = engineer_client.get(INDEX, {"v": [versions[0].pk]}).content.decode()
    assert ticked(page) == [versions[0].pk]
    assert "Also ticked" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("choice", ["bogus:2", "defect:", "defect:-1", "defect:two", ":", "", "defect:2:3"])
def test_a_forged_page_choice_leaves_the_pages_as_they_were(engineer_client, choice) -> None:  # type: ignore[no-untyped-def]
    answer = engineer_client.get(INDEX, {"v": [7], "defect_page": 1, "go": choice})
    assert answer.status_code == 302
    assert answer.url == f"{INDEX}?v=7&defect_page=1"
    assert engineer_client.get(answer.url).status_code == 200
