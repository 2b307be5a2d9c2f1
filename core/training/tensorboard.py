"""TensorBoard logging for every trainer: a ``TrainingSink`` plus figures.

Scalars go through ``add_scalar`` with slash-separated tags (``add_scalars``
would create one sub-run per key). The classifiers also send a confusion-matrix
picture and sample predictions every N epochs; hparams are written at the end
with the final metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.evaluation.metrics import Evaluation
from core.training.events import EpochEvent, ProgressEvent, StopKind


class TensorBoardSink:
    """Writes one run's scalars and figures under ``log_dir``."""

    def __init__(self, log_dir: Path, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.log_dir = Path(log_dir)
        self.writer = SummaryWriter(log_dir=str(self.log_dir), purge_step=purge_step)

    def on_epoch(self, event: EpochEvent) -> None:
        for tag, value in event.metrics.items():
            if value is not None and math.isfinite(value):
                self.writer.add_scalar(tag, value, event.epoch)
        if event.learning_rate is not None:
            self.writer.add_scalar("lr", event.learning_rate, event.epoch)
        for key, value in event.memory.items():
            self.writer.add_scalar(f"memory/{key}", value, event.epoch)
        self.writer.add_scalar("time/epoch_seconds", event.seconds, event.epoch)
        self.writer.flush()

    def on_progress(self, event: ProgressEvent) -> None:
        """Per-batch progress is for live pages, not for TensorBoard."""

    def on_log(self, level: str, message: str) -> None:
        if level.lower() in ("warning", "error"):
            self.writer.add_text("log", f"{level}: {message}")

    def stop_requested(self) -> StopKind | None:
        return None

    def add_confusion(self, epoch: int, evaluation: Evaluation, tag: str = "val/confusion_matrix") -> None:
        from core.training.report import confusion_figure

        self.writer.add_figure(tag, confusion_figure(evaluation), epoch)

    def add_samples(self, epoch: int, pictures: Sequence[np.ndarray], truth: Sequence[str], predicted: Sequence[str]) -> None:
        from core.training.report import sample_grid

        self.writer.add_figure("val/samples", sample_grid(pictures, truth, predicted), epoch)

    def add_hparams(self, config: Mapping[str, Any], final: Mapping[str, float]) -> None:
        hparams = {k: v for k, v in config.items() if isinstance(v, int | float | str | bool)}
        metrics = {f"hparam/{k}": v for k, v in final.items() if isinstance(v, int | float) and math.isfinite(v)}
        self.writer.add_hparams(hparams, metrics, run_name=".")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
