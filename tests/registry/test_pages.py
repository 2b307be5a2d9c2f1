"""The registry pages: engineers only; list, compare, activate with the gate, bundle, rollback, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from registry import versions as registry
from registry.models import ActivationEvent, ModelVersion
from tests.conftest import PASSWORD
from tests.registry.conftest import evaluated
from training.models import RunStatus, TrainingRun

INDEX = reverse("registry:index")
# A real evaluation in the shape the trainer writes (core.evaluation.contract): PASS recall 0.9, TOUCH 0.6.
DEFECT_METRICS = evaluated([[9, 1, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 2, 0, 3]])


@pytest.fixture
def engineer_client(client, engineer):  # type: ignore[no-untyped-def]
    client.login(username=engineer.username, password=PASSWORD)
    return client


def make(tmp_path, model_type: str = "defect", metrics: dict | None = None, snapshot: dict | None = None, **config) -> ModelVersion:  # type: ignore[no-untyped-def]
    source = tmp_path / f"{model_type}-{ModelVersion.objects.count()}.pt"
    source.write_bytes(source.name.encode())
    run = TrainingRun.objects.create(model_type=model_type, status=RunStatus.SUCCEEDED, dataset_snapshot=snapshot or {})
    return registry.register_version(
        model_type, source, metrics=DEFECT_METRICS if metrics is None else metrics, config=config, dataset_size=40, training_run=run
    )


def to_change_and_live(tmp_path: Path, engineer: Any, how: str, metrics: dict[str, float]) -> tuple[Any, Any]:
    """Two view versions, the first made live (for a rollback the second too, so the first is the rollback's target):
    the version whose file a test changes, and the live one that must stay live."""
    old, new = make(tmp_path, "view", metrics), make(tmp_path, "view", metrics)
    registry.activate(old, engineer, "first")
    if how == "rollback":
        registry.activate(new, engineer, "second")
        return old, new
    return new, old


def messages_of(response) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(message) for message in response.context["messages"])


def test_an_annotator_cannot_open_the_registry(client, annotator):
    client.login(username=annotator.username, password=PASSWORD)
    assert client.get(INDEX).status_code == 403


def test_the_list_shows_versions_per_type_with_key_metrics_and_the_nav_link(engineer_client, tmp_path):
    version = make(tmp_path)
    make(tmp_path, "detection", {"mAP50": 0.734, "mAP50-95": 0.41})
    page = engineer_client.get(INDEX).content.decode()
    assert version.name in page and "0.875" in page and "0.900" in page and "0.734" in page
    assert f'href="{INDEX}"' in page
    assert "No view version yet" in page


def test_compare_shows_metrics_recall_confusion_config_and_dataset_differences(engineer_client, tmp_path):
    first = make(tmp_path, snapshot={"train": [[1, 1], [2, 1], [3, 1]], "val": [[4, 1]]}, lr=0.001, loss="weighted_ce")
    metrics = evaluated([[19, 1, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 2, 0, 3]])  # PASS recall 0.95
    second = make(tmp_path, metrics=metrics, snapshot={"train": [[1, 1], [2, 3], [5, 1]], "val": [[4, 1]]}, lr=0.001, loss="focal")
    response = engineer_client.get(reverse("registry:compare"), {"v": [first.pk, second.pk]})
    comparison = response.context["comparison"]
    assert [version.pk for version in comparison.versions] == [first.pk, second.pk]
    rows = {row.label: row for row in comparison.metrics}
    assert rows["balanced_accuracy"].values == [pytest.approx(0.875), pytest.approx(0.8875)] and rows["balanced_accuracy"].differs
    assert {row.label: row.values for row in comparison.recall}["PASS"] == [pytest.approx(0.9), pytest.approx(0.95)]
    assert {row.label: row.values for row in comparison.recall}["TOUCH"] == [pytest.approx(0.6), pytest.approx(0.6)]
    config = {row.label: row for row in comparison.config}
    assert config["loss"].differs and not config["lr"].differs
    dataset = comparison.datasets[1]
    assert (dataset.added["train"], dataset.removed["train"], dataset.revised["train"], dataset.revised["val"]) == (1, 1, 1, 0)
    page = response.content.decode()
    assert "weighted_ce" in page and "focal" in page and "TOUCH" in page and '<td class="num">3</td>' in page


def test_compare_needs_two_versions(engineer_client, tmp_path):
    response = engineer_client.get(reverse("registry:compare"), {"v": [make(tmp_path).pk]}, follow=True)
    assert "Tick two or more versions" in messages_of(response)


def test_activate_from_the_page_with_the_gate_and_its_override(engineer_client, engineer, tmp_path):
    weak = make(tmp_path, metrics=evaluated([[5, 5, 0, 0], [0, 5, 0, 0], [0, 0, 5, 0], [0, 0, 0, 5]]))  # PASS recall 0.5
    url = reverse("registry:activate", args=[weak.pk])
    detail = engineer_client.get(reverse("registry:detail", args=[weak.pk])).content.decode()
    assert "below the quality gate" in detail and "override_gate" in detail
    response = engineer_client.post(url, {"reason": "try"}, follow=True)
    assert "tick the override" in messages_of(response) and not ModelVersion.objects.active().exists()
    response = engineer_client.post(url, {"override_gate": "on", "reason": ""}, follow=True)
    assert "Write why you override" in messages_of(response) and not ModelVersion.objects.active().exists()
    response = engineer_client.post(url, {"override_gate": "on", "reason": "customer accepts PASS misses"}, follow=True)
    assert "is now the active defect model" in messages_of(response)
    event = ActivationEvent.objects.get()
    assert (event.user, event.gate_override, event.reason) == (engineer, True, "customer accepts PASS misses")
    assert "customer accepts PASS misses" in response.content.decode()


def test_activation_needs_a_post(engineer_client, tmp_path):
    assert engineer_client.get(reverse("registry:activate", args=[make(tmp_path).pk])).status_code == 405


def test_one_click_rollback(engineer_client, tmp_path):
    first, second = make(tmp_path), make(tmp_path)
    registry.activate(first, None, "a")
    registry.activate(second, None, "b")
    page = engineer_client.get(INDEX).content.decode()
    assert f"to {first.name}" in page
    response = engineer_client.post(reverse("registry:rollback"), {"model_type": "defect", "view_scope": ""}, follow=True)
    assert f"{first.name} is active again" in messages_of(response)
    assert registry.active_version("defect") == first


def test_bundle_activation_from_the_page(engineer_client, tmp_path):
    detection, view, defect = make(tmp_path, "detection", {"mAP50": 0.7}), make(tmp_path, "view", {"accuracy": 1.0}), make(tmp_path)
    data = {"detection": detection.pk, "view": view.pk, "defect": defect.pk, "reason": "release 3"}
    response = engineer_client.post(reverse("registry:bundle"), data, follow=True)
    assert "Activated together" in messages_of(response)
    assert set(registry.active_versions().values()) == {detection, view, defect}


def test_a_refused_bundle_keeps_its_three_versions_chosen(engineer_client, tmp_path):
    """The gate's refusal said to tick the override and write a reason, on a form that had forgotten the three versions."""
    detection, view = make(tmp_path, "detection", {"mAP50": 0.7}), make(tmp_path, "view", {"accuracy": 1.0})
    weak = make(tmp_path, metrics={"pass_recall": 0.2, "pass_support": 40.0})
    data = {"detection": detection.pk, "view": view.pk, "defect": weak.pk, "reason": ""}
    response = engineer_client.post(reverse("registry:bundle"), data)
    assert response.url == f"{INDEX}?detection={detection.pk}&view={view.pk}&defect={weak.pk}#bundle"
    page = engineer_client.get(response.url).content.decode()
    bundle = page[page.index('id="bundle"') :]
    for version in (detection, view, weak):
        assert f'<option value="{version.pk}" selected>' in bundle
    assert registry.active_versions() == {}
    # A hostile or stale query chooses nothing and breaks nothing.
    assert engineer_client.get(f"{INDEX}?detection=x&view=99999999999999999999&defect=-1").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_delete_asks_for_confirmation_and_refuses_the_active_one(engineer_client, tmp_path):
    live, old = make(tmp_path), make(tmp_path)
    registry.activate(live, None, "live")
    url = reverse("registry:delete", args=[old.pk])
    assert "Delete " + old.name in engineer_client.get(url).content.decode() and ModelVersion.objects.filter(pk=old.pk).exists()
    response = engineer_client.post(url, follow=True)
    assert f"Deleted {old.name}" in messages_of(response) and not registry.file_of(old).exists()
    response = engineer_client.post(reverse("registry:delete", args=[live.pk]), follow=True)
    assert "activate another version" in messages_of(response) and registry.file_of(live).exists()


def test_no_url_serves_model_files(engineer_client, tmp_path, settings):
    version = make(tmp_path)
    assert engineer_client.get(f"/media/../models/{version.file_path}").status_code == 404
    assert engineer_client.get(f"/static/{version.file_path}").status_code == 404
    assert str(settings.MEDIA_ROOT) not in str(registry.file_of(version))


def test_detail_shows_the_correction_rate_of_reviewed_predictions(engineer_client, tmp_path, make_image):
    from annotations.choices import ReviewState, Source
    from annotations.models import Annotation

    version = make(tmp_path)
    url = reverse("registry:detail", args=[version.pk])
    assert "No predictions of this version have been reviewed yet." in engineer_client.get(url).content.decode()
    image = make_image()
    states = [ReviewState.ACCEPTED, ReviewState.ACCEPTED, ReviewState.ACCEPTED, ReviewState.CORRECTED, ReviewState.PENDING]
    for state in states:
        box = {"x": 1, "y": 1, "width": 5, "height": 5, "view": "TOP", "defect": "PASS"}
        Annotation.objects.create(image=image, source=Source.MODEL, defect_version=version, review_state=state, **box)
    page = engineer_client.get(url).content.decode()
    assert "4 reviewed (3 accepted, 1 corrected, 0 rejected), 1 waiting" in page
    assert '<strong id="correction-rate">0.25</strong>' in page
