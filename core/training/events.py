"""The one event interface between a trainer and whoever watches it.

Every trainer (YOLO and the classifiers) reports through a ``TrainingSink``:
TensorBoard, the database writer of the web app and the tests all implement it.
Events are small frozen dataclasses; ``asdict`` turns them into the JSON the
browser receives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

StopKind = Literal["pause", "cancel"]


@dataclass(frozen=True)
class EpochEvent:
    """The state at the end of one epoch (``epoch`` counts from 1).

    ``replayed``: an epoch the trainer had already finished and saved before it was stopped, sent
    again when the run resumes (a worker killed between its checkpoint and its sink's write would
    otherwise lose that epoch's record). A sink that kept it the first time ignores it.
    """

    epoch: int
    epochs: int
    metrics: dict[str, float]
    learning_rate: float | None = None
    seconds: float = 0.0
    eta_seconds: float | None = None
    memory: dict[str, float] = field(default_factory=dict)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"type": "epoch", **asdict(self)}


@dataclass(frozen=True)
class ProgressEvent:
    """Throttled progress inside an epoch (at most about once a second)."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    elapsed_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"type": "progress", **asdict(self)}


class StopRequested(Exception):
    """Raised inside a trainer when the sink asks it to stop; the checkpoint is already written."""

    def __init__(self, kind: StopKind, epoch: int, segment: str = "", segment_epoch: int = 0) -> None:
        super().__init__(f"Training stopped on request ({kind}) during epoch {epoch}.")
        self.kind = kind
        self.epoch = epoch
        # In a longer job (a cross-validation): the training stopped ("fold 3 of 5", "the final model") and its own
        # epoch, since that training's checkpoints are its own, not those of the job's previous epoch.
        self.segment = segment
        self.segment_epoch = segment_epoch


class TrainingSink(Protocol):
    def on_epoch(self, event: EpochEvent) -> None: ...

    def on_progress(self, event: ProgressEvent) -> None: ...

    def on_log(self, level: str, message: str) -> None: ...

    def stop_requested(self) -> StopKind | None:
        """Polled once per batch: ``"pause"`` or ``"cancel"`` stops the trainer within one batch."""
        ...


class MultiSink:
    """Fan one trainer's events out to several sinks (e.g. TensorBoard and the database)."""

    def __init__(self, *sinks: TrainingSink) -> None:
        self.sinks = sinks

    def on_epoch(self, event: EpochEvent) -> None:
        for sink in self.sinks:
            sink.on_epoch(event)

    def on_progress(self, event: ProgressEvent) -> None:
        for sink in self.sinks:
            sink.on_progress(event)

    def on_log(self, level: str, message: str) -> None:
        for sink in self.sinks:
            sink.on_log(level, message)

    def stop_requested(self) -> StopKind | None:
        for sink in self.sinks:
            kind = sink.stop_requested()
            if kind is not None:
                return kind
        return None


class RecordingSink:
    """Keeps every event in memory: for tests, notebooks and the command line."""

    def __init__(self, stop_after_batches: int | None = None, stop_kind: StopKind = "cancel") -> None:
        self.epochs: list[EpochEvent] = []
        self.progress: list[ProgressEvent] = []
        self.logs: list[tuple[str, str]] = []
        self._batches_left = stop_after_batches
        self._stop_kind = stop_kind

    def on_epoch(self, event: EpochEvent) -> None:
        self.epochs.append(event)

    def on_progress(self, event: ProgressEvent) -> None:
        self.progress.append(event)

    def on_log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    def stop_requested(self) -> StopKind | None:
        if self._batches_left is None:
            return None
        self._batches_left -= 1
        return self._stop_kind if self._batches_left < 0 else None
