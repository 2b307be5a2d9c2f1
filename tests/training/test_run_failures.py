"""A run whose pictures went missing or damaged, or whose disk filled up: a sentence naming what to do, nothing half-written."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch

from annotations.models import Image
from tests.live_fixtures import queue_view_run, tiny_library, tiny_snapshot  # noqa: F401
from training.models import RunStatus, TrainingRun
from training.tasks import run_training


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    settings.RUNS_DIR = tmp_path / "runs"
    settings.DATASETS_DIR = tmp_path / "datasets"


def run_and_read(run: TrainingRun) -> TrainingRun:
    with pytest.raises(Exception):  # noqa: B017, PT011 - the worker logs it; the run page is what the engineer sees
        run_training(run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(("damage", "what"), [("missing", "its file is missing"), ("damaged", "its file is damaged")])
def test_a_missing_or_damaged_picture_fails_the_run_with_a_sentence_naming_it(queue_view_run, damage: str, what: str) -> None:  # noqa: F811
    run = queue_view_run()
    image = Image.objects.filter(annotations__isnull=False).order_by("id").first()
    path = Path(image.file.path)
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"not a picture any more")
    run = run_and_read(run)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith(f"The picture {image.original_name} (wire {image.wire_key}) cannot be read: {what}")
    assert run.error.endswith("Restore the data folder from its backup, or delete the picture in the library, then start the run again.")


def test_a_full_disk_while_writing_a_checkpoint_interrupts_the_run_resumably_and_leaves_no_half_file(
    queue_view_run,  # noqa: F811
    monkeypatch,
    settings,
) -> None:
    real_save = torch.save
    calls = {"last": 0}

    def save(payload, target, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(target).endswith("last.pt.tmp"):
            calls["last"] += 1
            if calls["last"] >= 2:  # epoch 2's checkpoint: the disk fills half way through the file
                Path(target).write_bytes(b"\x80\x02partial checkpoint")
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(payload, target, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    run = run_and_read(queue_view_run(epochs=3))
    assert run.status == RunStatus.INTERRUPTED and run.can_resume
    assert run.error.startswith("The disk is full")
    assert "Free disk space (or ask an administrator to), then resume the run" in run.error
    assert sorted(p.name for p in Path(settings.RUNS_DIR).rglob("*.tmp")) == []
    assert len(list(Path(settings.RUNS_DIR).rglob("last.pt"))) == 1  # epoch 1's checkpoint, to resume from


def test_a_cpu_run_whose_batch_cannot_fit_in_memory_fails_at_once_saying_what_to_change(queue_view_run, settings) -> None:  # noqa: F811
    # Without this the worker would take memory until Linux ended it without a word, and every resume would end the same way.
    run = run_and_read(queue_view_run(image_size=2048, batch=1024))
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("Training the view model (resnet18, picture size 2048, batch 1024) on the CPU needs about ")
    assert "GiB free. Change the settings and launch it again: lower batch (batch " in run.error
    assert not any(Path(settings.DATASETS_DIR).glob("**/*.png")), "refused before any crop was cut"
    assert run.epochs.count() == 0
