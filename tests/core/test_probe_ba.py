"""A data folder moved or restored at another path: a paused detection run resumes into its run folder's new place."""

from __future__ import annotations

import shutil

import pytest

from core.data import synthetic
from core.data.dataset import records_from_synthetic, split_records
from core.training.config import load_config
from core.training.events import RecordingSink, StopRequested
from core.training.runner import train

pytestmark = pytest.mark.slow


def test_a_detection_run_paused_before_its_folder_moved_resumes_into_the_new_folder(tmp_path):
    samples = synthetic.generate(tmp_path / "pictures", {"PASS": 2, "SWEEP": 2, "WOBBLE": 2, "TOUCH": 2}, image_size=256)
    snapshot = split_records(records_from_synthetic(samples), val_fraction=0.25, seed=0)
    config = load_config("detection", overrides={"epochs": 2, "imgsz": 128, "batch": 4, "mosaic": 0.0, "plots": False})
    old, datasets = tmp_path / "old" / "runs" / "run-1", tmp_path / "datasets"
    with pytest.raises(StopRequested):  # paused in epoch 2: last.pt of epoch 1 in the run folder
        train("detection", config, snapshot, old, RecordingSink(stop_after_batches=3), datasets_dir=datasets)

    # The operator restores the backup at another path (or renames the data folder's parent): nothing is left at the old one.
    new = tmp_path / "new" / "runs" / "run-1"
    new.parent.mkdir(parents=True)
    shutil.move(old, new)
    shutil.rmtree(tmp_path / "old")

    result = train("detection", config, snapshot, new, RecordingSink(), resume=True, datasets_dir=datasets)
    assert result.best_checkpoint.is_file() and result.best_checkpoint.is_relative_to(new), result.best_checkpoint
    assert not (tmp_path / "old").exists(), "the resumed run wrote into the data folder's old place"
