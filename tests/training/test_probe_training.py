"""Hostile or careless use of the launch form, cross-validation and the run controls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations.models import Annotation
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_views(make_image) -> None:  # type: ignore[no-untyped-def]
    """Three wires, each with a TOP and a SIDE picture: enough for the view model's data check."""
    for number in range(1, 4):
        for view in ("TOP", "SIDE"):
            image = make_image(f"w00{number}_{view}.png")
            Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view=view, defect="SWEEP")


def test_the_launch_form_refuses_a_per_view_view_model(engineer_client, both_views) -> None:  # type: ignore[no-untyped-def]
    """A view model trained on one view's pictures learns a single class (accuracy 1.00) into a slot inspection never reads."""
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": "view_scope: TOP"}
    )
    assert response.status_code == 200
    assert "Setting &#x27;view_scope&#x27; only applies to the defect and detection models" in response.content.decode()
    assert not TrainingRun.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_cross_validation_starts_every_fold_from_the_store_weights_the_form_accepted(  # type: ignore[no-untyped-def]
    engineer_client, engineer, tmp_path, settings
) -> None:
    """The form checks 'weights: upload:N' for a cross-validation; the worker must use them, not fail the run saying
    the file was not resolved from the store."""
    from tests.live_fixtures import ingest_synthetic
    from tests.training.test_starting_weights import resnet18_upload
    from training.models import RunLogLine, RunStatus
    from training.tasks import run_training

    settings.MODELS_DIR, settings.RUNS_DIR, settings.DATASETS_DIR = tmp_path / "models", tmp_path / "runs", tmp_path / "datasets"
    ingest_synthetic(tmp_path / "synthetic", {"PASS": 3, "SWEEP": 3, "WOBBLE": 3, "TOUCH": 3})
    upload = resnet18_upload(tmp_path, engineer)
    view_settings = f"epochs: 1\nimage_size: 32\nbatch: 8\nsamples_every: 1000\nweights: {upload.reference}\n"
    form = {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "folds": "3", "view_settings": view_settings}
    engineer_client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    assert run_training(run.pk) == RunStatus.SUCCEEDED
    messages = list(RunLogLine.objects.filter(run=run).values_list("message", flat=True))
    started = [m for m in messages if f"Started from r18.pt ({upload.reference}); its checksum matched the store's." in m]
    assert len(started) == 4, messages  # three folds and the final model


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_per_view_cross_validation_predicts_only_the_pictures_of_its_view(engineer_client, tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    """A TOP defect model's folds train on TOP crops; its out-of-fold table (which the quality gate reads) must not
    count the SIDE boxes it was never meant to judge."""
    from tests.live_fixtures import ingest_synthetic
    from training.models import RunStatus
    from training.tasks import run_training

    settings.MODELS_DIR, settings.RUNS_DIR, settings.DATASETS_DIR = tmp_path / "models", tmp_path / "runs", tmp_path / "datasets"
    pictures = ingest_synthetic(tmp_path / "synthetic", {"PASS": 3, "SWEEP": 3, "WOBBLE": 3, "TOUCH": 3})
    defect_settings = "epochs: 1\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\nview_scope: TOP\n"
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "3", "defect_settings": defect_settings}
    engineer_client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    assert run_training(run.pk) == RunStatus.SUCCEEDED
    run.refresh_from_db()
    top_boxes = Annotation.objects.filter(image__view="TOP").count()
    assert top_boxes == pictures // 2
    assert sum(support for _, _, support in run.cross_validation["picture_recall"]) == top_boxes


def _hidden_inputs(page: str) -> dict[str, str]:
    """The hidden fields of the launch form as the browser sends them back (the CSRF token aside)."""
    import re

    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    fields.pop("csrfmiddlewaretoken", None)
    return fields


def test_a_double_click_on_queue_makes_one_run(engineer_client, both_views) -> None:  # type: ignore[no-untyped-def]
    """The data check takes a while on a big library; a second click sends the same form again and must not queue a twin."""
    page = engineer_client.get(reverse("training:launch")).content.decode()
    form = {**_hidden_inputs(page), "model_type": "view", "preset": "cpu-quick", "device": "cpu"}
    first = engineer_client.post(reverse("training:launch"), form)
    second = engineer_client.post(reverse("training:launch"), form, follow=True)
    run = TrainingRun.objects.get()
    assert first.url == reverse("training:run_detail", args=[run.pk])
    assert second.redirect_chain[-1][0] == first.url
    assert f"This form was already sent: it queued run #{run.pk}" in second.content.decode()
    # A fresh form queues a new run.
    page = engineer_client.get(reverse("training:launch")).content.decode()
    engineer_client.post(reverse("training:launch"), {**_hidden_inputs(page), "model_type": "view", "preset": "cpu-quick", "device": "cpu"})
    assert TrainingRun.objects.count() == 2


def test_the_same_form_sent_twice_at_the_same_moment_queues_once(engineer, tiny_library) -> None:  # type: ignore[no-untyped-def]
    """Both requests passed the view's check before either stored its runs: the database keeps one set."""
    from core.training.config import load_config, to_json
    from training.snapshot import build_snapshot, snapshot_run_json

    snapshot = snapshot_run_json(build_snapshot(val_fraction=0.3))
    config = to_json(load_config("view", "cpu-quick"))
    token = "0123456789abcdef0123456789abcdef"
    first = TrainingRun.objects.launch(["view"], {"view": config}, {"view": snapshot}, engineer, launch_token=token)
    second = TrainingRun.objects.launch(["view"], {"view": config}, {"view": snapshot}, engineer, launch_token=token)
    assert [run.pk for run in second] == [run.pk for run in first]
    assert TrainingRun.objects.count() == 1


def test_the_launch_form_refuses_a_version_of_another_architecture_as_weights(  # type: ignore[no-untyped-def]
    engineer_client, tiny_library, tmp_path, settings
) -> None:
    """A view version (ResNet18) names starting weights for the defect model (EfficientNet-B0): no tensor fits, which the
    form knows from the version's settings; it must say so before queueing a run that fails in the worker."""
    import torch

    from core.training.networks import build_network
    from registry.versions import register_version

    settings.MODELS_DIR = tmp_path / "models"
    checkpoint = tmp_path / "best.pt"
    torch.save({"model": build_network("resnet18", 2).state_dict()}, checkpoint)
    version = register_version("view", checkpoint, metrics={"accuracy": 0.9}, config={"architecture": "resnet18"})
    response = engineer_client.post(
        reverse("training:launch"),
        {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "defect_settings": f"weights: version:{version.pk}"},
    )
    assert response.status_code == 200
    assert f"{version.name} is a resnet18, but these defect settings build a efficientnet_b0" in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_a_per_view_model_without_pictures_of_its_view_is_refused_before_queueing(engineer_client, tiny_library) -> None:  # type: ignore[no-untyped-def]
    """Only SIDE pictures chosen, but 'view_scope: TOP': the run would fail in the worker with 0 training crops."""
    form = {"model_type": "defect", "view": "SIDE", "preset": "cpu-quick", "device": "cpu", "defect_settings": "view_scope: TOP"}
    response = engineer_client.post(reverse("training:launch"), form)
    assert response.status_code == 200
    assert "The per-view defect model (view_scope: TOP) learns from TOP pictures" in response.content.decode()
    assert not TrainingRun.objects.exists()
