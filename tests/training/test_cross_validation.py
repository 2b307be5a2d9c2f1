"""'Cross-validate these settings' in the app: launched from the form, run by the worker task, shown on the run page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from annotations.models import Image
from registry.models import ModelVersion
from tests.live_fixtures import ingest_synthetic
from training.models import RunStatus, TrainingRun
from training.tasks import run_training

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TINY_DEFECT = "epochs: 1\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"


@pytest.fixture(autouse=True)
def _runs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


@pytest.fixture
def library(tmp_path) -> int:  # type: ignore[no-untyped-def]
    """Three small wires of each class, both views: 24 annotated pictures."""
    return ingest_synthetic(tmp_path / "synthetic", {"PASS": 3, "SWEEP": 3, "WOBBLE": 3, "TOUCH": 3})


def test_a_cross_validation_runs_every_fold_and_shows_the_out_of_fold_table(engineer_client, library) -> None:  # type: ignore[no-untyped-def]
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "3", "defect_settings": TINY_DEFECT}
    response = engineer_client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    assert response.url == reverse("training:run_detail", args=[run.pk])
    assert run.folds == 3 and run.epochs_planned == 4  # one epoch per fold, then the final model
    assert run_training(run.pk) == RunStatus.SUCCEEDED
    run.refresh_from_db()
    # Every annotated wire was predicted once, by a model that never saw it.
    assert sum(support for _, _, support in run.cross_validation["wire_recall"]) == library // 2
    assert sum(support for _, _, support in run.cross_validation["picture_recall"]) == library
    assert list(run.epochs.values_list("epoch", flat=True).order_by("epoch")) == [1, 2, 3, 4]
    # The final model, trained on the usual split, is registered with the table beside its scores.
    version = ModelVersion.objects.get()
    assert version.training_run == run and version.out_of_fold() == run.cross_validation
    lines = list(run.log_lines.values_list("message", flat=True))
    assert any(line.startswith("Fold 3 of 3:") for line in lines) and any(line.startswith("Final model:") for line in lines)

    page = engineer_client.get(reverse("training:run_detail", args=[run.pk])).content.decode()
    section = page[page.index('id="cross-validation"') :]
    assert "3 folds grouped by wire" in section
    mean = run.cross_validation["scores"]["wire_bacc"]["mean"]
    assert re.search(rf"Balanced accuracy per wire \(evidence verdict\)</th><td>{mean:.3f}</td>", section)
    for label, right, support in run.cross_validation["picture_recall"]:
        assert f"<th>{label}</th><td>{right} of {support}</td>" in section
    assert section.count("<tr><th>") >= 3 + 4 + 3  # scores, classes, folds
    # How far the pooled score can be trusted on so few wires: its interval over the wires drawn again.
    interval = run.cross_validation["wire_interval"]["wire_bacc"]
    assert interval["wires"] == library // 2 and interval["low"] <= interval["estimate"] <= interval["high"]
    assert re.search(
        rf"Balanced accuracy per wire, all held-out wires pooled: <strong>{interval['estimate']:.3f}</strong>\. Drawing the"
        rf" {library // 2} wires again at random, 95 % of the draws lie between {interval['low']:.3f} and {interval['high']:.3f}",
        section,
    )
    # How far a verdict's own confidence can be trusted: the held-out wires split at each line.
    trust = run.cross_validation["wire_trust"]
    assert trust and all(row["sure"] + row["unsure"] == library // 2 for row in trust)
    line = trust[2]
    assert f"<tr><th>{line['line']:.1f}</th><td>{line['sure']} (" in section
    assert (
        f"<td>{line['sure_right']} of {line['sure']}</td><td>{line['unsure']}</td><td>{line['unsure_right']} of {line['unsure']}</td>"
        in section
    )


def test_the_detector_and_train_all_are_not_offered_for_cross_validation(engineer_client, library) -> None:  # type: ignore[no-untyped-def]
    for model_type in ("detection", "all"):
        response = engineer_client.post(
            reverse("training:launch"), {"model_type": model_type, "preset": "cpu-quick", "device": "cpu", "folds": "5"}
        )
        assert "Cross-validation checks the settings of one classifier" in response.content.decode()
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "folds": "2"}
    )
    assert "greater than or equal to 3" in response.content.decode()
    # Three wires per class cannot be spread over four folds: said before anything is queued.
    response = engineer_client.post(
        reverse("training:launch"), {"model_type": "view", "preset": "cpu-quick", "device": "cpu", "folds": "4"}
    )
    assert "4-fold cross-validation needs at least 4 wires of one class" in response.content.decode()
    assert "Choose 3 folds or annotate more wires." in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_a_held_out_picture_deleted_during_its_fold_fails_with_the_sentence_naming_it(engineer_client, library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Deleting a picture while fold 1 trains: the fold's prediction of its held-out wires must fail the run with
    the same clear sentence a normal run gives (PictureUnreadable), not a raw OSError naming a server path."""
    import core.training.runner as runner

    real_train = runner.train
    deleted: list[Path] = []

    def train_then_lose_a_held_out_picture(model_type, config, snapshot, folder, sink, **kwargs):  # type: ignore[no-untyped-def]
        result = real_train(model_type, config, snapshot, folder, sink, **kwargs)
        if Path(folder).name == "fold-1" and not deleted:
            victim = Path(snapshot.val[0].path)
            victim.unlink()  # the picture's file goes (a cleanup, a library delete) while the fold was training
            deleted.append(victim)
        return result

    monkeypatch.setattr(runner, "train", train_then_lose_a_held_out_picture)
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "3", "defect_settings": TINY_DEFECT}
    engineer_client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    with pytest.raises(Exception):  # noqa: B017, PT011
        run_training(run.pk)
    run.refresh_from_db()
    assert deleted
    image = next(i for i in Image.objects.all() if Path(i.file.path) == deleted[0])
    assert run.status == RunStatus.FAILED
    assert str(deleted[0].parent) not in run.error, f"the run page shows a server path: {run.error!r}"
    said = f"Fold 1 of 3: The picture {image.original_name} (wire {image.wire_key}) cannot be read: its file is missing"
    assert run.error.startswith(said), run.error
