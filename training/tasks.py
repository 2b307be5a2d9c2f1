"""The django-q2 task: take a run id, claim it, train with the database sink, record the outcome.

Thin on purpose: the lease logic is in ``training.jobs``, the training in
``core.training.runner``, the events in ``training.sink``.
"""

from __future__ import annotations

import errno
import logging
import threading
import traceback as traceback_module
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from core.training.events import StopRequested

if TYPE_CHECKING:
    from core.data.dataset import Snapshot
    from core.training.config import AnyConfig
    from core.training.runner import TrainResult
    from core.training.startweights import StartingWeights
from training import jobs
from training.models import HEARTBEAT_SECONDS, Control, RunStatus, TrainingRun, name_in_data_folder
from training.signals import run_succeeded
from training.sink import DatabaseSink

logger = logging.getLogger("wiresag.training")


class Heartbeat(threading.Thread):
    """Renews the run's lease from a thread, so long phases without batches (validation) keep it alive."""

    def __init__(self, run_id: int, worker: str) -> None:
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id = run_id
        self.worker = worker
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                try:
                    if not TrainingRun.objects.heartbeat(self.run_id, self.worker):
                        return
                except Exception:  # a locked database now and then must not end the heartbeat
                    logger.warning("Heartbeat of run %s failed; retrying.", self.run_id, exc_info=True)
        finally:
            connection.close()


def run_dir(run: TrainingRun) -> Path:
    return run.folder


def run_training(run_id: int) -> str:
    """Train run ``run_id`` if this worker wins it; return its final status."""
    close_old_connections()
    TrainingRun.objects.reap_expired()
    worker = jobs.worker_name()
    if not TrainingRun.objects.claim(run_id, worker):
        logger.info("Run %s is not queued any more (another worker has it, or it was cancelled); nothing to do.", run_id)
        return "skipped"
    run = TrainingRun.objects.get(pk=run_id)
    heartbeat = Heartbeat(run_id, worker)
    heartbeat.start()
    sink = DatabaseSink(run_id, worker)
    try:
        status = _train(run, worker, sink)
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    if status == RunStatus.SUCCEEDED:
        following = run.next_in_sequence()
        if following is not None and following.status == RunStatus.QUEUED:
            with transaction.atomic():
                following.enqueue()
    return status


def _train(run: TrainingRun, worker: str, sink: DatabaseSink) -> str:
    from core.training.config import from_json
    from core.training.runner import train
    from training.snapshot import snapshot_from_run_json
    from training.weights_sources import starting_weights

    folder = run_dir(run)
    shown = name_in_data_folder(folder)  # what the run's log says: the folder inside the data folder, not the server's path
    if aside := run.take_folder():
        sink.on_log(
            "WARNING",
            f"The folder runs/{folder.name} held the files of another run the database does not know (the database "
            f"restored from an earlier backup than runs/); they were moved to runs/{aside}, and this run starts afresh.",
        )
    # A paused or interrupted run left its last checkpoint in its folder: continue from there.
    resume = any(folder.glob("**/last.pt"))
    try:
        config = from_json({**run.config, "model_type": run.model_type})
        snapshot = snapshot_from_run_json(run.dataset_snapshot)
        # Only a file of the app's weights store; the trainer checks its sha256 right before loading it.
        starting = starting_weights(config.weights, run.model_type) if config.weights else None
        if run.is_cross_validation:
            return _cross_validate(run, worker, sink, config, snapshot, starting)
        if not resume and run.epochs.exists():  # paused or interrupted, but its checkpoint went (a cleanup, a restore)
            sink.on_log("WARNING", f"The run's checkpoint is missing from {shown}, so training starts again from epoch 1.")
        sink.on_log("INFO", f"{'Resuming' if resume else 'Training'} the {run.model_display} model in {shown}.")
        result = train(
            run.model_type,
            config,
            snapshot,
            folder,
            sink,
            resume=resume,
            datasets_dir=settings.DATASETS_DIR,
            data_dir=settings.DATA_DIR,
            starting_weights=starting,
        )
    except StopRequested as stop:
        if sink.lease_lost:
            logger.warning("Run %s was taken from worker %s; leaving it alone.", run.pk, worker)
            return "lost"
        if stop.kind == "pause":
            sink.on_log("INFO", paused_message(stop.epoch, stop.segment, stop.segment_epoch))
            TrainingRun.objects.finish(run.pk, worker, RunStatus.PAUSED, checkpoint_path=str(folder))
            return RunStatus.PAUSED
        sink.on_log("INFO", f"Cancelled during epoch {stop.epoch}.")
        TrainingRun.objects.finish(run.pk, worker, RunStatus.CANCELLED, checkpoint_path=str(folder))
        run.cancel_rest_of_sequence(f'Cancelled because run #{run.pk} of the same "train all" was cancelled.')
        return RunStatus.CANCELLED
    except KeyboardInterrupt:  # Ctrl+C at the terminal of manage.py train: resumable at once, not "running" until reaped
        sink.on_log("WARNING", "Stopped with Ctrl+C (SIGINT); the run is interrupted. Resume it to continue from its last checkpoint.")
        TrainingRun.objects.finish(run.pk, worker, RunStatus.INTERRUPTED)
        raise
    except Exception as error:
        _fail(run, worker, sink, error)
        raise
    try:
        _succeed(run, worker, sink, result)
    except Exception as error:
        _fail(run, worker, sink, error)
        raise
    return RunStatus.SUCCEEDED


def _cross_validate(
    run: TrainingRun, worker: str, sink: DatabaseSink, config: AnyConfig, snapshot: Snapshot, starting: StartingWeights | None
) -> str:
    """Train the settings once per fold, keep the out-of-fold table, then train and register the final model.

    Every fold and the final model start from the same starting weights, as the settings say.
    """
    from core.crossval import SegmentSink, cross_validate
    from core.training.layout import WEIGHTS_DIR
    from core.training.runner import train

    folder, k, epochs = run_dir(run), run.folds, config.epochs
    sink.on_log("INFO", f"Cross-validating the {run.model_display} settings in {k} folds grouped by wire.")
    datasets, data = settings.DATASETS_DIR, settings.DATA_DIR
    records = [*snapshot.train, *snapshot.val]
    summary = cross_validate(
        run.model_type,
        config,
        records,
        k,
        folder,
        sink,
        datasets_dir=datasets,
        data_dir=data,
        epochs_after=epochs,
        starting_weights=starting,
    )
    run.record_cross_validation(summary)
    final = SegmentSink(sink, k * epochs, (k + 1) * epochs, "Final model")
    final.on_log("INFO", "the out-of-fold table is on this page; training the model to register on the usual split of all wires.")
    resume = (folder / WEIGHTS_DIR / "last.pt").is_file()
    try:
        result = train(
            run.model_type, config, snapshot, folder, final, resume=resume, datasets_dir=datasets, data_dir=data, starting_weights=starting
        )
    except StopRequested as stop:  # say the epoch of the whole job, as the page counts it
        raise StopRequested(stop.kind, k * epochs + stop.epoch, "the final model", stop.epoch) from None
    except Exception as error:
        raise FinalModelFailed(error) from error
    _succeed(run, worker, sink, result)
    return RunStatus.SUCCEEDED


class FinalModelFailed(Exception):
    """The final model of a cross-validation, trained once every fold had finished, raised ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"Final model: {error}")
        self.error = error


def paused_message(epoch: int, segment: str = "", segment_epoch: int = 0) -> str:
    """What a pause keeps: checkpoints are written at the end of an epoch, so the paused epoch starts over.

    In a cross-validation ``segment`` names the fold (or the final model) that was training and ``segment_epoch`` its
    own epoch: its checkpoints are its own, so its first epoch starts it over, whatever the job's epoch count says.
    """
    if segment:
        kept = "; the finished folds are kept." if epoch > segment_epoch else "."
        if segment_epoch <= 1:
            return (
                f"Paused during epoch {epoch}, the first epoch of {segment}, before its first checkpoint. "
                f"Resume to train {segment} again from its start{kept}"
            )
        return (
            f"Paused during epoch {epoch}, epoch {segment_epoch} of {segment}; the batches of that epoch are dropped. "
            f"Resume to train it again from the checkpoint of its epoch {segment_epoch - 1}{kept}"
        )
    if epoch <= 1:
        return f"Paused during epoch {epoch}, before the first checkpoint. Resume to start the training again."
    return (
        f"Paused during epoch {epoch}; the batches of that epoch are dropped. "
        f"Resume to train epoch {epoch} again from the checkpoint of epoch {epoch - 1}."
    )


def _succeed(run: TrainingRun, worker: str, sink: DatabaseSink, result: TrainResult) -> None:
    # The registry (a floor above) registers the model version; a receiver that raises fails the run.
    answers = [answer for _, answer in run_succeeded.send(sender=TrainingRun, run=run, result=result) if answer]
    TrainingRun.objects.filter(pk=run.pk).update(device=getattr(result, "device", "") or run.device)
    sink.on_log("INFO", "Finished" + (f"; {'; '.join(answers)}." if answers else "."))
    if TrainingRun.objects.filter(pk=run.pk, control=Control.CANCEL).exists():
        sink.on_log(
            "WARNING",
            "The cancel came after training had finished, so the run ends as succeeded and its model is registered; "
            "delete that version on the registry page if it is not wanted.",
        )
    TrainingRun.objects.finish(run.pk, worker, RunStatus.SUCCEEDED, checkpoint_path=str(result.best_checkpoint))


def _deleted_picture(error: Exception) -> str:
    """For a picture of the run's frozen snapshot that was deleted in the library meanwhile: what happened, or ""."""
    from annotations.models import Image
    from core.data.prepare import PictureUnreadable

    record = getattr(error, "record", None) if isinstance(error, PictureUnreadable) else None
    if record is None or record.image_id is None or Image.objects.filter(pk=record.image_id).exists():
        return ""
    return (
        f"The picture {record.name or Path(record.path).name} (wire {record.wire_key}) was deleted from the library after this run "
        "was queued, and the run's frozen data snapshot still lists it. Launch the run again: its new snapshot leaves the "
        "deleted pictures out."
    )


def _has_finished_work(folder: Path) -> bool:
    """Finished epochs (a resume checkpoint) or, in a cross-validation, finished folds (their outcome; a finished fold
    keeps no resume checkpoint): what a resume would continue from."""
    from core.crossval import OUTCOME_FILE

    return any(folder.glob("**/last.pt")) or any(folder.glob(f"fold-*/{OUTCOME_FILE}"))


def _fail(run: TrainingRun, worker: str, sink: DatabaseSink, error: Exception) -> None:
    from core.crossval import FoldFailed

    fold, kept, continues, table = "", "Its finished epochs are kept", "it continues from its last finished epoch", ""
    if isinstance(error, FoldFailed):  # say which fold; a resume skips the finished folds (their outcome is on disk)
        fold, continues = f"Fold {error.fold} of {error.k}: ", f"it continues with fold {error.fold}"
        if error.fold > 1:
            kept = "The finished fold (1) is kept" if error.fold == 2 else f"The finished folds (1 to {error.fold - 1}) are kept"
        error = error.error
    elif isinstance(error, FinalModelFailed):  # the folds are done: the table is on the run, a resume trains only this model
        fold, continues = "Final model: ", "it continues with the final model"
        kept = "The finished folds and their out-of-fold table are kept"
        table = "Every fold had finished: the out-of-fold table is kept on this page."
        error = error.error
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        # Nothing is wrong with the run: its last finished epoch is on disk, so it can go on once there is room.
        sentence = (
            f"{fold}The disk is full ({error.filename or settings.RUNS_DIR}): there is no room for the run's files. "
            f"Free disk space (or ask an administrator to), then resume the run; {continues}."
        ) + run.tell_rest_of_sequence_it_waits("the disk filled up during it")
        sink.on_log("ERROR", sentence)
        TrainingRun.objects.finish(run.pk, worker, RunStatus.INTERRUPTED, error=sentence, traceback=traceback_module.format_exc())
        return
    from core.training.device import NotEnoughMemory

    if isinstance(error, NotEnoughMemory) and _has_finished_work(run_dir(run)):
        # A resumed run with finished epochs (free memory changes from one moment to the next): keep them resumable.
        sentence = (
            f"{fold}{error} {kept}: once the worker has the memory free (stop what else runs there), resume the run; {continues}."
        ) + run.tell_rest_of_sequence_it_waits("its worker was short of memory")
        sink.on_log("ERROR", sentence)
        TrainingRun.objects.finish(run.pk, worker, RunStatus.INTERRUPTED, error=sentence, traceback=traceback_module.format_exc())
        return
    sentence = fold + (_deleted_picture(error) or str(error) or f"The training stopped with {type(error).__name__}; see the traceback.")
    if table:
        sentence = f"{sentence if sentence.endswith(('.', '!', '?')) else sentence + '.'} {table}"
    sink.on_log("ERROR", sentence)
    TrainingRun.objects.finish(run.pk, worker, RunStatus.FAILED, error=sentence, traceback=traceback_module.format_exc())
    run.cancel_rest_of_sequence(f'Cancelled because run #{run.pk} of the same "train all" failed.')
