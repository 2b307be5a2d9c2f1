"""The Models page's choices survive its round trips: turning a list's page, a refused comparison.

The page holds three things at once: the page each list is on, the versions ticked to compare, and the versions a
refused bundle left chosen. Each of its buttons goes to the server and back; none may forget what the others hold.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from registry.views import VERSIONS_PER_PAGE
from tests.conftest import PASSWORD
from tests.registry.test_probe_ml import many_versions

INDEX = reverse("registry:index")
COMPARE = reverse("registry:compare")


class _CompareForm(HTMLParser):
    """What a browser sends with the compare form: its ticked boxes and hidden fields, and the buttons that send it."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.buttons: dict[str, tuple[str, str, str]] = {}  # "defect:2" -> (name, value, where it goes)
        self._button: dict[str, str | None] | None = None
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "section":
            self._section = named.get("id") or ""
        if named.get("form") != "compare":
            return
        if tag == "input" and (named.get("type") != "checkbox" or "checked" in named):
            self.fields.append((named["name"] or "", named.get("value") or ""))
        if tag == "button":
            self._button = named

    def handle_data(self, data: str) -> None:
        if self._button is not None and data.strip():
            button = self._button
            action = button.get("formaction") or COMPARE
            self.buttons[f"{self._section} {data.strip()}"] = (button.get("name") or "", button.get("value") or "", action)
            self._button = None


def sent(page: str, button: str) -> tuple[str, list[tuple[str, str]]]:
    """Where the browser goes when ``button`` ("type-defect Older", "Compare ticked versions") is pressed, and with what."""
    form = _CompareForm()
    form.feed(page)
    found = [key for key in form.buttons if key.endswith(button)]
    assert found, f"no {button!r} button in {sorted(form.buttons)}"
    name, value, action = form.buttons[found[0]]
    return action, [*form.fields, *([(name, value)] if name else [])]


def press(client, page: str, button: str) -> str:  # type: ignore[no-untyped-def]
    action, data = sent(page, button)
    query: dict[str, list[str]] = {}
    for name, value in data:
        query.setdefault(name, []).append(value)
    answer = client.get(action, query, follow=True)
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


def chosen_in_bundle(page: str, field: str) -> str:
    """The value of the option chosen in one of the bundle's lists, or ""."""
    start = page.index(f'<select name="{field}"')
    select = page[start : page.index("</select>", start)]
    marker = select.find(" selected")
    if marker < 0:
        return ""
    return select[select.rfind('value="', 0, marker) + 7 : marker].split('"')[0]


@pytest.mark.django_db
def test_turning_a_page_after_a_refused_bundle_keeps_the_bundles_versions(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """A refused bundle comes back with its versions chosen, so ticking the override is all it takes; looking at an older
    version on the next page of a list first (the page's links kept it before the buttons replaced them) chose nothing."""
    detection = many_versions(1, "detection")[0]
    view = many_versions(1, "view")[0]
    defect = many_versions(VERSIONS_PER_PAGE + 2, "defect")[-1]
    refused = engineer_client.get(INDEX, {"detection": detection.pk, "view": view.pk, "defect": defect.pk}).content.decode()
    assert chosen_in_bundle(refused, "defect") == str(defect.pk)

    older = press(engineer_client, refused, "type-defect Older")

    assert "Page 2 of 2 (52 defect versions)" in older
    assert [chosen_in_bundle(older, name) for name in ("detection", "view", "defect")] == [str(detection.pk), str(view.pk), str(defect.pk)]


@pytest.mark.django_db
def test_a_refused_comparison_comes_back_to_the_pages_it_was_asked_from(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """One version ticked on page 2 of a list, Compare pressed: "tick two or more" came back on page 1 of every list."""
    defect = many_versions(VERSIONS_PER_PAGE + 2, "defect")
    second_page = engineer_client.get(INDEX, {"defect_page": 2}).content.decode()
    second_page = second_page.replace(f'value="{defect[0].pk}" form="compare"', f'value="{defect[0].pk}" form="compare" checked')

    again = press(engineer_client, second_page, "Compare ticked versions")

    assert "Tick two or more versions to compare them." in again
    assert "Page 2 of 2 (52 defect versions)" in again
    assert "Also ticked" not in again  # ticked on its own row, on the page it was ticked on


@pytest.mark.django_db
def test_a_ticked_version_deleted_before_compare_was_pressed_is_named_as_deleted(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """Ticks now outlive a page: one made on page 1, a colleague deletes that version, Compare pressed on page 3 with a
    second tick. The page said "Tick two or more versions" to someone who had ticked two."""
    first, second = many_versions(2, "defect")
    page = engineer_client.get(INDEX, {"v": [first.pk, second.pk]}).content.decode()
    first_pk = first.pk
    first.delete()

    again = press(engineer_client, page, "Compare ticked versions")

    assert (
        f"The ticked version with id {first_pk} no longer exists (deleted meanwhile, by someone else or in another tab). "
        "Tick two or more versions to compare them."
    ) in again
    assert '<input type="checkbox" name="v" value="' + str(second.pk) + '" form="compare" checked' in again


@pytest.mark.django_db
def test_a_comparison_missing_a_deleted_version_says_so(engineer_client) -> None:  # type: ignore[no-untyped-def]
    kept_a, gone, kept_b = many_versions(3, "defect")
    page = engineer_client.get(INDEX, {"v": [kept_a.pk, gone.pk, kept_b.pk]}).content.decode()
    gone_pk = gone.pk
    gone.delete()

    compared = press(engineer_client, page, "Compare ticked versions")

    assert "Compare versions" in compared and kept_a.name in compared and kept_b.name in compared
    assert (
        f"The ticked version with id {gone_pk} no longer exists (deleted meanwhile, by someone else or in another tab). "
        "The comparison leaves it out."
    ) in compared


@pytest.mark.django_db
def test_versions_deleted_meanwhile_do_not_count_against_the_limit_of_ten(engineer_client) -> None:  # type: ignore[no-untyped-def]
    """Ten versions ticked, one of them deleted by a colleague and two more ticks that had outlived their versions:
    "Tick at most 10 versions (12 were ticked)" refused a comparison of nine versions that all exist."""
    versions = many_versions(11, "defect")
    ticks = [version.pk for version in versions]
    gone = [versions[0].pk, versions[1].pk]
    versions[0].delete()
    versions[1].delete()

    compared = engineer_client.get(reverse("registry:compare"), {"v": ticks}, follow=True).content.decode()

    assert "Tick at most" not in compared and "Compare versions" in compared
    assert all(version.name in compared for version in versions[2:])
    assert f"The ticked versions with ids {gone[0]}, {gone[1]} no longer exist" in compared
    assert "The comparison leaves them out." in compared


@pytest.mark.django_db
def test_too_many_ticks_count_only_the_versions_that_exist_and_keep_those_ticked(engineer_client) -> None:  # type: ignore[no-untyped-def]
    versions = many_versions(12, "defect")
    ticks = [version.pk for version in versions]
    gone = versions[0].pk
    versions[0].delete()

    response = engineer_client.get(reverse("registry:compare"), {"v": ticks}, follow=True)
    page = response.content.decode()

    assert (
        f"The ticked version with id {gone} no longer exists (deleted meanwhile, by someone else or in another tab). "
        "Tick at most 10 versions to compare them (11 are ticked)."
    ) in page
    assert response.redirect_chain[0][0] == f"{INDEX}?" + "&".join(f"v={pk}" for pk in ticks[1:])
