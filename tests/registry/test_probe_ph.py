"""Leftovers P-H: the compare page's refusals keep the ticks, and its numbers are rounded as the version page rounds them."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.registry.conftest import evaluated
from tests.registry.test_pages import INDEX, engineer_client, make, messages_of  # noqa: F401

#: PASS recall 14/23 = 0.6086956521739131, balanced accuracy 0.8021739130434783: floats stored with every digit.
LONG_METRICS = evaluated([[14, 9, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 2, 0, 3]], classes=("PASS", "SWEEP", "WOBBLE", "TOUCH"))


def ticked(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'<input type="checkbox" name="v" value="(\d+)"[^>]*\bchecked\b', page)}


def test_a_compare_refused_for_too_many_versions_keeps_them_ticked_on_the_list(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """Eleven ticked: the list came back with the sentence and no tick, so all ten had to be ticked again."""
    chosen = [make(tmp_path).pk for _ in range(11)]
    response = engineer_client.get(reverse("registry:compare"), {"v": chosen}, follow=True)
    assert "Tick at most 10 versions to compare them (11 are ticked)." in messages_of(response)
    assert ticked(response.content.decode()) == set(chosen)


def test_a_compare_refused_for_one_version_keeps_it_ticked(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    version, _other = make(tmp_path), make(tmp_path)
    response = engineer_client.get(reverse("registry:compare"), {"v": [version.pk]}, follow=True)
    assert "Tick two or more versions" in messages_of(response)
    assert ticked(response.content.decode()) == {version.pk}
    assert ticked(engineer_client.get(INDEX).content.decode()) == set()


def test_compare_shows_metrics_and_recall_rounded_as_the_version_page(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """The compare table showed 0.8021739130434783 where the version page shows 0.8022."""
    first, second = make(tmp_path, metrics=LONG_METRICS, lr=0.000123456789), make(tmp_path, lr=0.001)
    response = engineer_client.get(reverse("registry:compare"), {"v": [first.pk, second.pk]})
    comparison = response.context["comparison"]
    assert {row.label: row.values for row in comparison.metrics}["balanced_accuracy"][0] == 0.8021739130434783
    page = response.content.decode()
    assert "0.8021739130434783" not in page and "<td>0.8022</td>" in page  # as the version page's metrics table
    assert "0.6086956521739131" not in page and "<td>0.609</td>" in page  # PASS recall, as its per-class table
    assert "0.000123456789" in page  # a setting is shown as it was written, never rounded away


def test_the_lineage_download_answers_head_with_its_headers_and_no_body(engineer_client, tmp_path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    """The version's lineage file refused HEAD with 405, as the export download did; the other downloads answer it."""
    version = make(tmp_path, snapshot={"train": [[1, 1]], "val": [[2, 1]], "seed": 3})
    head = engineer_client.head(reverse("registry:lineage", args=[version.pk]))
    assert head.status_code == 200 and head["Content-Disposition"].startswith("attachment;")
    assert b"".join(head.streaming_content) == b""
