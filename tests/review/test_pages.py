"""The inspect and pre-annotate forms offer only models that can run, say what is missing first, keep the user's choices."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from registry.versions import activate, register_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _models_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()


def version(tmp_path: Path, model_type: str, name: str):  # type: ignore[no-untyped-def]
    source = tmp_path / f"{name}.pt"
    source.write_bytes(name.encode())
    return register_version(model_type, source, metrics={"pass_recall": 1.0, "accuracy": 1.0, "mAP50": 0.5})


def test_a_missing_model_is_said_before_submitting_and_the_button_is_off(engineer_client) -> None:  # type: ignore[no-untyped-def]
    for url in (reverse("review:inspect"), reverse("review:queue")):
        page = engineer_client.get(url).content.decode()
        assert "No detection model is trained yet: train one on the Training page first." in page
        assert 'value="">active' not in page  # nothing is offered as "active" when nothing is
        assert "disabled" in page.split('id="start-inspection"' if "inspect" in url else 'id="preannotate"')[1][:40]


def test_only_existing_versions_are_offered_and_the_newest_runs_when_none_is_active(engineer_client, engineer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    old, new = version(tmp_path, "defect", "old"), version(tmp_path, "defect", "new")
    detector = version(tmp_path, "detection", "det")
    activate(detector, engineer, "live")
    page = engineer_client.get(reverse("review:inspect")).content.decode()
    assert f'<option value="" selected>active: {detector.name}</option>' in page
    defect_select = page[page.index('name="version_defect"') :]
    defect_select = defect_select[: defect_select.index("</select>")]
    assert "active" not in defect_select
    assert f'<option value="{new.pk}" selected>' in defect_select and f'<option value="{old.pk}">' in defect_select
    assert "No view" in page  # the view model is still missing, and said so


def test_a_refused_inspection_keeps_every_choice(engineer_client, engineer, tmp_path, make_image) -> None:  # type: ignore[no-untyped-def]
    make_image("w1_TOP.png", wire_group="lot-9")
    defect = version(tmp_path, "defect", "d1")
    form = {"wire_group": "lot-9", "view": "TOP", "name": "w1", "rule": "confidence", "label": "night shift", "conf": "2"}
    form["version_defect"] = str(defect.pk)
    response = engineer_client.post(reverse("review:inspect"), form)
    page = response.content.decode()
    assert response.status_code == 400
    assert "The detection threshold must be a number between 0 and 1" in page
    assert "<option selected>lot-9</option>" in page and "<option selected>TOP</option>" in page
    assert 'value="night shift"' in page and 'name="name" value="w1"' in page
    assert '<option value="confidence" selected>' in page
    assert f'<option value="{defect.pk}" selected>' in page


def test_the_inspections_list_shows_when_each_began_in_the_apps_time_zone(engineer_client, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The list showed the stored ISO text (2026-12-07T06:58:56+00:00) where every other page shows a local time."""
    from core import filejobs
    from review.inspection import INSPECTION, root

    settings.DATA_DIR = tmp_path / "data"
    settings.TIME_ZONE = "Asia/Taipei"
    job = filejobs.new_job(root(INSPECTION), INSPECTION, {}, total=1)
    job.created_at = "2026-12-07T06:58:56+00:00"
    filejobs.write_status(root(INSPECTION), job)
    page = engineer_client.get(reverse("review:inspect")).content.decode()
    assert "2026-12-07 14:58:56" in page and "2026-12-07T06:58:56" not in page


def test_an_inspection_whose_worker_died_says_so_and_a_waiting_one_keeps_waiting(engineer_client, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    from core import filejobs
    from review.inspection import INSPECTION, INTERRUPTED_AFTER_SECONDS, list_jobs, root

    settings.DATA_DIR = tmp_path / "data"
    running = filejobs.new_job(root(INSPECTION), INSPECTION, {}, total=10)
    running.state, running.done, running.message = "running", 3, "Inspecting."
    filejobs.write_status(root(INSPECTION), running)
    waiting = filejobs.new_job(root(INSPECTION), INSPECTION, {}, total=10)
    url = reverse("review:job_status", args=[INSPECTION, running.id])
    assert engineer_client.get(url).json()["state"] == "running"  # moving recently: alive
    long_ago = time.time() - INTERRUPTED_AFTER_SECONDS - 5
    for job in (running, waiting):
        os.utime(root(INSPECTION) / job.id / "status.json", (long_ago, long_ago))
    answer = engineer_client.get(url).json()
    assert answer["state"] == "failed"
    assert "the worker running it was stopped or its machine went down. Start it again." in answer["message"]
    waited = engineer_client.get(reverse("review:job_status", args=[INSPECTION, waiting.id])).json()
    assert waited["state"] == "queued"  # behind a training for hours is not dead
    assert {job.id: job.state for job in list_jobs(INSPECTION)} == {running.id: "failed", waiting.id: "queued"}
