"""Leftovers P-B: the lineage download and the comparison read the whole dataset snapshot of a version's run."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import JSONField
from django.http import JsonResponse
from django.urls import reverse

from registry import versions as registry
from tests.conftest import PASSWORD
from tests.registry.test_pages import make, messages_of, to_change_and_live
from tests.wiresag_web.test_postgresql import migrate_and_run_on_postgresql, postgres_url  # noqa: F401
from training.models import TrainingRun

#: The records of every picture: most of a real snapshot's megabytes, never needed for the lineage.
RECORDS = {"train": [{"path": "/media/pictures/records-marker.png", "boxes": []}] * 2_000, "val": []}


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


@pytest.fixture
def decoded(monkeypatch) -> list[Any]:  # type: ignore[no-untyped-def]
    """Every JSON value the database hands to Python, as it arrives."""
    seen: list[Any] = []
    original = JSONField.from_db_value

    def spy(self, value, expression, connection):  # type: ignore[no-untyped-def]
        seen.append(value)
        return original(self, value, expression, connection)

    monkeypatch.setattr(JSONField, "from_db_value", spy)
    return seen


def test_the_lineage_download_streams_the_pairs_without_loading_the_picture_records(engineer_client, tmp_path, decoded) -> None:  # type: ignore[no-untyped-def]
    """The download decoded the run's whole snapshot (the records of every picture included) and built the file in
    memory; it now reads only the seed and the pairs from the database and streams the same file."""
    train = [[pk, 1 + pk % 3] for pk in range(1, 20_001)]
    val = [[pk, 1] for pk in range(30_001, 35_001)]
    version = make(tmp_path, snapshot={"train": train, "val": val, "seed": 7, "records": RECORDS})
    decoded.clear()
    answer = engineer_client.get(reverse("registry:lineage", args=[version.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer["Content-Disposition"] == f'attachment; filename="{version.name}-lineage.json"'
    expected = JsonResponse({"version": version.name, "seed": 7, "train": train, "val": val}).content
    assert answer.getvalue() == expected  # byte for byte the file it wrote before
    assert answer.streaming
    assert not any("records-marker" in str(value) for value in decoded)


@pytest.mark.parametrize(
    ("snapshot", "problem"),
    [
        ({"train": "oops", "val": [], "seed": 1}, "train"),
        ({"train": [[1, 2]], "val": [[3]], "seed": 1}, "val"),
        ({"train": [["a", "b"]], "val": [], "seed": 1}, "train"),
        ({"train": [[1, 2]], "val": {"1": 2}, "seed": 1}, "val"),
    ],
)
def test_a_damaged_snapshot_gives_a_sentence_instead_of_a_bogus_file_or_a_500(engineer_client, tmp_path, snapshot, problem) -> None:  # type: ignore[no-untyped-def]
    version = make(tmp_path, snapshot=snapshot)
    response = engineer_client.get(reverse("registry:lineage", args=[version.pk]), follow=True)
    assert response.redirect_chain == [(reverse("registry:detail", args=[version.pk]), 302)]
    message = messages_of(response)
    assert f"The dataset snapshot of {version.name}'s training run is damaged" in message
    assert f"its {problem} list" in message


def test_a_snapshot_with_too_many_pairs_is_refused_before_it_is_loaded(engineer_client, tmp_path, decoded, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registry, "LINEAGE_MAX_PAIRS", 10, raising=False)
    version = make(tmp_path, snapshot={"train": [[pk, 1] for pk in range(8)], "val": [[pk, 1] for pk in range(100, 103)], "seed": 1})
    decoded.clear()
    response = engineer_client.get(reverse("registry:lineage", args=[version.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("registry:detail", args=[version.pk])
    # The pairs were never read (SQLite hands a pair over as the text [100,1], PostgreSQL as a list).
    assert not any("[100,1]" in str(value).replace(" ", "") for value in decoded)
    page = engineer_client.get(response["Location"])  # the version page itself shows the first pairs of each split
    assert f"{version.name} learned from 11 annotation revisions, more than can be listed at once (10)" in messages_of(page)


@pytest.mark.parametrize("snapshot", ["garbage", [[1, 2]]])
def test_a_snapshot_that_is_not_an_object_has_no_lineage_download_instead_of_a_500(engineer_client, tmp_path, snapshot) -> None:  # type: ignore[no-untyped-def]
    version = make(tmp_path)
    TrainingRun.objects.filter(pk=version.training_run_id).update(dataset_snapshot=snapshot)
    response = engineer_client.get(reverse("registry:lineage", args=[version.pk]))
    assert response.status_code == 404
    assert "This version was not registered by a training run, so it has no dataset snapshot." in response.content.decode()


PAIRS_ON_POSTGRESQL = """
from django.db import connection
from training.models import TrainingRun
assert connection.vendor == "postgresql", connection.vendor
run = TrainingRun.objects.create(model_type="view", dataset_snapshot={"train": [[1, 2], [2, 3]], "val": [[9, 1]], "seed": 7, "records": {}})
damaged = TrainingRun.objects.create(model_type="view", dataset_snapshot={"train": "oops", "val": {"1": 2}, "seed": 1})
print(TrainingRun.objects.snapshot_pairs(run.pk), TrainingRun.objects.snapshot_summary(run.pk, 1))
print(TrainingRun.objects.snapshot_pairs(damaged.pk), TrainingRun.objects.snapshot_summary(damaged.pk, 1))
"""


@pytest.mark.slow
def test_the_pairs_and_a_damaged_summary_are_read_the_same_on_postgresql(postgres_url, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """PostgreSQL's jsonb_array_length raised on a split that holds no array: the version page answered 500."""
    stdout = migrate_and_run_on_postgresql(postgres_url, tmp_path, PAIRS_ON_POSTGRESQL)
    assert stdout.splitlines()[-2:] == [
        "{'train': [[1, 2], [2, 3]], 'val': [[9, 1]]} {'seed': 7, 'train': 2, 'val': 1, 'first': {'train': [[1, 2]], 'val': [[9, 1]]}}",
        "{'train': 'oops', 'val': {'1': 2}} {}",
    ]


def test_compare_does_not_load_the_picture_records_of_the_versions_it_compares(engineer_client, tmp_path, decoded) -> None:  # type: ignore[no-untyped-def]
    """The compare page loaded each version with its run's whole snapshot (select_related), records of every picture included."""
    first = make(tmp_path, snapshot={"train": [[1, 1], [2, 1]], "val": [[4, 1]], "seed": 1, "records": RECORDS})
    second = make(tmp_path, snapshot={"train": [[1, 1], [3, 1]], "val": [[4, 2]], "seed": 1, "records": RECORDS})
    decoded.clear()
    response = engineer_client.get(reverse("registry:compare"), {"v": [first.pk, second.pk]})
    assert response.status_code == 200
    dataset = response.context["comparison"].datasets[1]
    assert (dataset.added["train"], dataset.removed["train"], dataset.revised["val"]) == (1, 1, 1)
    assert not any("records-marker" in str(value) for value in decoded)


def test_compare_with_a_damaged_snapshot_says_which_version_instead_of_a_500(engineer_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = make(tmp_path, snapshot={"train": [[1, 1]], "val": [], "seed": 1})
    damaged = make(tmp_path, snapshot={"train": [["a", "b"]], "val": [], "seed": 1})
    response = engineer_client.get(reverse("registry:compare"), {"v": [good.pk, damaged.pk]}, follow=True)
    assert response.redirect_chain == [(f"{reverse('registry:index')}?v={good.pk}&v={damaged.pk}", 302)]  # still ticked
    assert f"The dataset snapshot of {damaged.name}'s training run is damaged" in messages_of(response)


def test_compare_refuses_more_versions_than_a_page_can_show_side_by_side(engineer_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every ticked version (up to the thousand fields a query string may carry) was loaded with all its pairs at once."""
    chosen = [make(tmp_path, snapshot={"train": [[pk, 1]], "val": [], "seed": 1}).pk for pk in range(11)]
    response = engineer_client.get(reverse("registry:compare"), {"v": chosen}, follow=True)
    assert response.redirect_chain == [(reverse("registry:index") + "?" + "&".join(f"v={pk}" for pk in chosen), 302)]
    assert "Tick at most 10 versions to compare them (11 are ticked)." in messages_of(response)
    assert engineer_client.get(reverse("registry:compare"), {"v": chosen[:10]}).status_code == 200


@pytest.mark.parametrize("how", ["activate", "rollback", "bundle"])
def test_a_version_whose_file_changed_is_not_made_live(engineer_client, engineer, tmp_path, how) -> None:  # type: ignore[no-untyped-def]
    """A file truncated or swapped on disk (a half-finished restore) passed activation, since only its presence was checked:
    the live model was replaced by one every inspection then refused for its checksum."""
    from registry.models import ModelVersion

    changed, live = to_change_and_live(tmp_path, engineer, how, {"accuracy": 0.9})
    registry.file_of(changed).write_bytes(b"half a restore")
    if how == "activate":
        response = engineer_client.post(reverse("registry:activate", args=[changed.pk]), {"reason": "try it"}, follow=True)
    elif how == "rollback":
        response = engineer_client.post(reverse("registry:rollback"), {"model_type": "view", "reason": "new misbehaves"}, follow=True)
    else:
        detection, defect = make(tmp_path, "detection", {"mAP50": 0.9}), make(tmp_path)
        choice = {"detection": detection.pk, "view": changed.pk, "defect": defect.pk, "override_gate": "on", "reason": "set"}
        response = engineer_client.post(reverse("registry:bundle"), choice, follow=True)
    assert ModelVersion.objects.get(model_type="view", is_active=True) == live
    message = messages_of(response)
    assert f"The file of {changed.name} does not match its recorded checksum" in message
    assert "so it was not made live" in message and "The live model is unchanged." in message
