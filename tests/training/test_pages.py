"""The training pages: dashboard, launch form with its data check, run page, controls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from training.models import RunStatus, TrainingRun

pytestmark = pytest.mark.django_db


def test_annotators_cannot_open_training(client, annotator) -> None:  # type: ignore[no-untyped-def]
    client.force_login(annotator)
    assert client.get(reverse("training:dashboard")).status_code == 403
    assert client.get(reverse("training:launch")).status_code == 403


def test_launch_form_is_prefilled_from_the_preset(engineer_client) -> None:  # type: ignore[no-untyped-def]
    from core.training.config import PRESETS

    page = engineer_client.get(reverse("training:launch")).content.decode()
    assert "architecture: resnet18" in page
    assert f"image_size: {PRESETS['cpu-quick']['view']['image_size']}" in page
    assert f"imgsz: {PRESETS['cpu-quick']['detection']['imgsz']}" in page


def test_data_check_names_the_missing_class_before_queueing(engineer_client, make_image) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Annotation

    image = make_image("w001_TOP.png")
    Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="SWEEP")
    response = engineer_client.post(reverse("training:launch"), {"model_type": "defect", "preset": "cpu-quick", "device": "cpu"})
    assert response.status_code == 200
    assert "PASS has 0 wires; at least 2 are needed to validate it." in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_invalid_setting_is_reported_in_a_sentence(engineer_client) -> None:  # type: ignore[no-untyped-def]
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": "epochs: 0"}
    )
    assert "Setting &#x27;epochs&#x27; of the view model must be at least 1, not 0." in response.content.decode()


def test_train_all_queues_the_sequence_and_opens_the_first_run(  # type: ignore[no-untyped-def]
    engineer_client, tiny_library, django_capture_on_commit_callbacks
) -> None:
    from django_q.models import OrmQ

    with django_capture_on_commit_callbacks(execute=True):
        response = engineer_client.post(reverse("training:launch"), {"model_type": "all", "preset": "cpu-quick", "device": "cpu"})
    runs = list(TrainingRun.objects.order_by("sequence_index"))
    assert [run.model_type for run in runs] == ["view", "detection", "defect"]
    assert response.url == reverse("training:run_detail", args=[runs[0].pk])
    assert runs[0].dataset_snapshot["records"]["train"] and runs[0].config["preset"] == "cpu-quick"
    assert OrmQ.objects.count() == 1  # the others wait for their turn
    page = engineer_client.get(response.url).content.decode()
    assert "Whole “train all”" in page and 'id="run-snapshot"' in page


def test_cancel_button_cancels_a_queued_run(engineer_client) -> None:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 2})
    engineer_client.post(reverse("training:control", args=[run.pk, "cancel"]))
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    response = engineer_client.post(reverse("training:control", args=[run.pk, "pause"]), follow=True)
    assert "cannot be paused" in response.content.decode()


def test_dashboard_lists_runs(engineer_client) -> None:  # type: ignore[no-untyped-def]
    run = TrainingRun.objects.create(model_type="defect", config={"epochs": 2})
    page = engineer_client.get(reverse("training:dashboard")).content.decode()
    assert f'data-run="{run.pk}"' in page


def test_launch_page_says_how_many_pass_wires_the_estimate_rests_on(engineer_client, make_image) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Annotation, ReviewState

    for wire in ("w001", "w002"):
        for view in ("TOP", "SIDE"):
            image = make_image(f"{wire}_{view}.png")
            Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view=view, defect="PASS")
    unnamed = make_image("loose.png")
    Annotation.objects.create(image=unnamed, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
    proposed = make_image("w009_TOP.png")
    Annotation.objects.create(image=proposed, x=1, y=1, width=10, height=10, view="TOP", defect="PASS", review_state=ReviewState.PENDING)
    page = engineer_client.get(reverse("training:launch")).content.decode()
    assert "PASS rests on 3 annotated wires" in page  # two wires (two views each) + loose.png, whose stem is its wire id
    assert "Annotate 7 more PASS wires" in page


def test_launch_page_calls_ten_pass_wires_steady(engineer_client, make_image) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Annotation

    for number in range(10):
        image = make_image(f"w{number:03d}_TOP.png")
        Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="PASS")
    page = engineer_client.get(reverse("training:launch")).content.decode()
    assert "PASS rests on 10 annotated wires; its recall estimate is steady" in page


def test_the_launch_form_starts_on_one_model_not_train_all(engineer_client) -> None:  # type: ignore[no-untyped-def]
    page = engineer_client.get(reverse("training:launch")).content.decode()
    assert '<option value="defect" selected>' in page
    assert '<option value="all" selected>' not in page


def test_every_bad_setting_is_reported_at_once(engineer_client) -> None:  # type: ignore[no-untyped-def]
    settings_text = "epochs: 0\nbatch: many\nloss: magic\ncolour: blue\n"
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": settings_text}
    )
    page = response.content.decode()
    assert "Unknown setting &#x27;colour&#x27; for the view model" in page
    assert "Setting &#x27;epochs&#x27; of the view model must be at least 1, not 0." in page
    assert "Setting &#x27;batch&#x27; of the view model must be a whole number" in page
    assert "Setting &#x27;loss&#x27; of the view model must be one of ce, weighted_ce, focal, not &#x27;magic&#x27;." in page
    assert not TrainingRun.objects.exists()


def test_a_view_run_checks_views_and_never_talks_about_pass(engineer_client, make_image) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Annotation

    for number in range(1, 4):
        image = make_image(f"w00{number}_TOP.png")
        Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="SWEEP")
    launch = {"model_type": "view", "preset": "cpu-quick", "device": "cpu"}
    page = engineer_client.post(reverse("training:launch"), launch).content.decode()
    assert "0 wires have SIDE boxes; the view model needs at least 2 with TOP and with SIDE boxes." in page
    assert "PASS" not in page.split('class="help pass-evidence"')[0]
    for number in range(1, 4):
        image = make_image(f"w00{number}_SIDE.png")
        Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="SIDE", defect="SWEEP")
    response = engineer_client.post(reverse("training:launch"), launch, follow=True)
    run = TrainingRun.objects.get()
    assert run.model_type == "view"
    assert not [m for m in response.context["messages"] if "PASS" in str(m)]


def test_the_launch_form_refuses_nan_settings_with_a_sentence(engineer_client, make_image) -> None:  # type: ignore[no-untyped-def]
    from annotations.models import Annotation

    for index in range(4):
        image = make_image(f"w{index:03d}_TOP.png")
        Annotation.objects.create(image=image, x=1, y=1, width=10, height=10, view="TOP", defect="SWEEP")
    response = engineer_client.post(
        reverse("training:launch"),
        {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": "val_fraction: .nan\nlr: .inf\n"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "&#x27;val_fraction&#x27; of the view model must be a finite number, not nan" in page
    assert "&#x27;lr&#x27; of the view model must be a finite number, not inf" in page
    assert not TrainingRun.objects.exists()


def test_the_launch_form_refuses_settings_nested_thousands_deep(engineer_client) -> None:  # type: ignore[no-untyped-def]
    settings_text = "lr: " + "[" * 5000 + "]" * 5000
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "view_settings": settings_text}
    )
    assert response.status_code == 200
    assert "The view settings nest too deeply; write &#x27;name: value&#x27; lines." in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_the_dashboard_shows_when_each_run_was_created_in_the_apps_time_zone(engineer_client, settings) -> None:  # type: ignore[no-untyped-def]
    """The list showed the stored UTC time with its 'T' (2026-12-07T07:45:17) until the first live update, and in UTC
    after it, where every other page shows the app's time zone."""
    from datetime import UTC, datetime

    from training.live import run_row

    settings.TIME_ZONE = "Asia/Taipei"
    run = TrainingRun.objects.create(model_type="view", config={"epochs": 1})
    TrainingRun.objects.filter(pk=run.pk).update(created_at=datetime(2026, 12, 7, 7, 45, 17, tzinfo=UTC))
    run.refresh_from_db()
    assert run_row(run)["created"] == "2026-12-07 15:45:17"  # what the live updates show too (dashboard.js)
    page = engineer_client.get(reverse("training:dashboard")).content.decode()
    assert "<td>2026-12-07 15:45:17</td>" in page and "2026-12-07T07:45:17" not in page


def test_the_out_of_fold_section_explains_a_dash_only_when_a_fold_shows_one() -> None:
    def run(scores: list[float | None]) -> TrainingRun:
        folds = [{"fold": n, "seed": 0, "wire_bacc_three": score} for n, score in enumerate(scores)]
        summary = {"scores": {"wire_bacc_three": {"mean": 0.6, "fold_std": 0.1, "fold_min": 0.5, "fold_max": 0.7}}, "folds": folds}
        return TrainingRun(model_type="defect", folds=len(scores), cross_validation=summary)

    assert not run([0.5, 0.7, 0.6]).cross_validation_has_gaps()
    assert run([0.5, None, 0.6]).cross_validation_has_gaps()
