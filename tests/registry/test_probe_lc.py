"""Known leftovers C: the version page printed every (annotation id, revision) pair its model learned from."""

from __future__ import annotations

import json

from django.urls import reverse

from registry.models import ModelVersion
from tests.conftest import PASSWORD
from tests.registry.test_pages import make


def test_the_version_page_shows_the_counts_and_a_few_pairs_and_offers_all_of_them_as_a_download(  # type: ignore[no-untyped-def]
    client, engineer, annotator, tmp_path
) -> None:
    """A version trained on a big library printed every pair of its run's snapshot inside a collapsed <details>:
    hundreds of KB each time the page was opened. The page now says the counts and the first pairs, and the full
    list is a JSON download for the same engineers."""
    train = [[pk, 1 + pk % 3] for pk in range(1, 20_001)]
    val = [[pk, 1] for pk in range(30_001, 35_001)]
    version = make(tmp_path, snapshot={"train": train, "val": val, "seed": 7, "records": {"train": [], "val": []}})
    client.login(username=engineer.username, password=PASSWORD)
    response = client.get(reverse("registry:detail", args=[version.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "20000 annotation revisions for training, 5000 for validation, seed 7" in page
    assert "[1, 2]" in page and "[30001, 1]" in page  # the first pairs are shown
    assert "[20000, " not in page and "[35000, 1]" not in page  # not every one of them
    assert len(page) < 60_000
    download = reverse("registry:lineage", args=[version.pk])
    assert f'href="{download}"' in page
    answer = client.get(download)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer["Content-Disposition"] == f'attachment; filename="{version.name}-lineage.json"'
    assert json.loads(answer.getvalue()) == {"version": version.name, "seed": 7, "train": train, "val": val}
    # The same role as the page: not annotators, not anyone logged out.
    client.logout()
    assert client.get(download).status_code == 302
    client.login(username=annotator.username, password=PASSWORD)
    assert client.get(download).status_code == 403


def test_a_version_without_a_training_run_has_no_lineage_download(client, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    version = make(tmp_path)
    ModelVersion.objects.filter(pk=version.pk).update(training_run=None)
    client.login(username=engineer.username, password=PASSWORD)
    page = client.get(reverse("registry:detail", args=[version.pk])).content.decode()
    assert "No dataset snapshot" in page and "lineage" not in page
    assert client.get(reverse("registry:lineage", args=[version.pk])).status_code == 404
