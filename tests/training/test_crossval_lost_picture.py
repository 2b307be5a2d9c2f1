"""Cross-validation: a picture that goes missing between a fold's training and its held-out prediction."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from annotations.models import Image
from tests.live_fixtures import ingest_synthetic
from training.models import RunStatus, TrainingRun
from training.tasks import run_training

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TINY_DEFECT = "epochs: 1\nimage_size: 32\nbatch: 8\nshape_features: false\nsamples_every: 1000\n"


@pytest.fixture(autouse=True)
def _runs_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


@pytest.fixture
def library(tmp_path) -> int:  # type: ignore[no-untyped-def]
    return ingest_synthetic(tmp_path / "synthetic", {"PASS": 3, "SWEEP": 3, "WOBBLE": 3, "TOUCH": 3})


def test_a_held_out_picture_deleted_during_its_fold_fails_with_the_sentence_naming_it(client, engineer, library, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
    client.force_login(engineer)
    form = {"model_type": "defect", "preset": "cpu-quick", "device": "cpu", "folds": "3", "defect_settings": TINY_DEFECT}
    client.post(reverse("training:launch"), form)
    run = TrainingRun.objects.get()
    with pytest.raises(Exception):  # noqa: B017, PT011
        run_training(run.pk)
    run.refresh_from_db()
    assert deleted
    image = next(i for i in Image.objects.all() if Path(i.file.path) == deleted[0])
    assert run.status == RunStatus.FAILED
    assert str(deleted[0].parent) not in run.error, f"the run page shows a server path: {run.error!r}"
    assert run.error.startswith(f"The picture {image.original_name} (wire {image.wire_key}) cannot be read: its file is missing"), run.error
