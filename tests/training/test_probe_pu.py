"""An installation upgraded with runs in flight: what the older code stored still trains as it started."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.training.events import StopRequested
from training import tasks
from training.models import RunStatus, TrainingRun
from training.sink import DatabaseSink

TINY = "epochs: 3\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"


@pytest.fixture
def defect_run_paused_before_wire_frame(db, tmp_path, settings, client, engineer) -> TrainingRun:  # type: ignore[no-untyped-def]
    """A defect run paused after its first epoch by the code of before 2026-12-06, whose settings had no ``wire_frame``
    (its crops were never framed on the traced wire), queued again by a Resume after the upgrade."""
    from tests.live_fixtures import ingest_synthetic

    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"
    ingest_synthetic(tmp_path / "synthetic", {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=48)
    client.force_login(engineer)
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "defect_settings": TINY}
    answer = client.post(reverse("training:launch"), form)
    assert answer.status_code == 302
    run = TrainingRun.objects.get()
    old_settings = {name: value for name, value in run.config.items() if name != "wire_frame"}  # as the older code stored them
    TrainingRun.objects.filter(pk=run.pk).update(config=old_settings)
    run.refresh_from_db()
    (run.folder / "weights").mkdir(parents=True)
    (run.folder / "weights" / "last.pt").write_bytes(b"the checkpoint of epoch 1, trained on unframed crops")
    assert TrainingRun.objects.claim(run.pk, "w1")
    return TrainingRun.objects.get(pk=run.pk)


def test_a_defect_run_paused_before_the_upgrade_resumes_on_the_crops_it_started_with(
    defect_run_paused_before_wire_frame, monkeypatch, settings
) -> None:  # type: ignore[no-untyped-def]
    """Its stored settings lack ``wire_frame``, so the new default (on for the defect model) filled it in: the resumed
    epochs trained on crops framed on the wire, the first ones had not, and the stored model said it frames its crops."""
    import core.training.runner

    run = defect_run_paused_before_wire_frame
    seen = []

    def train(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((config, kwargs["resume"]))
        raise StopRequested("pause", 2)

    monkeypatch.setattr(core.training.runner, "train", train)
    assert tasks._train(run, "w1", DatabaseSink(run.pk, "w1")) == RunStatus.PAUSED
    [(config, resumed)] = seen
    assert resumed
    assert config.wire_frame is False
    # The data set it keeps while paused is the unframed one it prepared before the upgrade.
    [folder] = run.dataset_folders(settings.DATASETS_DIR)
    assert not folder.name.endswith("-framed"), folder.name
