"""Training runs and their per-epoch metrics. The run row is the truth about a job."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Avg, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from accounts.users import Actor, recorded_user
from annotations.choices import ModelType
from core.labels import model_display
from training.groups import publish_from_worker

logger = logging.getLogger("wiresag.training")

#: A worker renews its lease every HEARTBEAT_SECONDS; one that misses several renewals is dead.
LEASE_SECONDS = 90
HEARTBEAT_SECONDS = 10
#: A run of a worker of this machine whose process ended is interrupted once its heartbeat is this old.
#: The wait keeps a live worker of another PID namespace with the same host name (containers) safe.
STALE_HEARTBEAT_SECONDS = 3 * HEARTBEAT_SECONDS
#: The remaining time is the mean of this many last epochs times the epochs left.
ETA_WINDOW = 3
TASK_FUNCTION = "training.tasks.run_training"
#: A run queued this long ago whose task is not in the queue lost it (the web process killed right after saving the run,
#: a queue row lost): the maintenance sweep queues it again, once.
LOST_TASK_SECONDS = 5 * 60
REQUEUED_SENTENCE = (
    "No worker received this run's task (the server may have stopped right after queueing the run, or the queue lost it); queued it again."
)

#: A run whose task the queue refused (WIRESAG_QUEUE=redis with Redis stopped); also the run's ``error``.
QUEUE_DOWN_SENTENCE = (
    "The queue did not take this run: Redis (WIRESAG_REDIS_URL) does not answer, so no worker can receive it. The run is "
    "interrupted; resume it once Redis runs again (an admin finds why in the server's log, wiresag.log in the data folder)."
)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    SUCCEEDED = "succeeded", "Succeeded"
    INTERRUPTED = "interrupted", "Interrupted"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
FINAL_STATUSES = (RunStatus.CANCELLED, RunStatus.FAILED, RunStatus.SUCCEEDED)


#: How a path under ``RUNS_DIR`` begins when named inside the data folder.
RUNS_PREFIX = "runs/"


def name_in_data_folder(path: str | Path) -> str:
    """``path`` as users read it: inside the data folder (``runs/run-12/weights/best.pt``), not the server's path.

    A path outside the data folder (set by hand) stays as it is.
    """
    for folder, prefix in ((settings.RUNS_DIR, RUNS_PREFIX), (settings.DATA_DIR, "")):
        try:
            return prefix + Path(path).relative_to(folder).as_posix()
        except ValueError:
            continue
    return str(path)


def path_in_data_folder(name: str) -> Path:
    """The path on this server of a ``name_in_data_folder`` name; an absolute path (rows from before) as it is."""
    if name.startswith(RUNS_PREFIX):
        return Path(settings.RUNS_DIR) / name.removeprefix(RUNS_PREFIX)
    return Path(settings.DATA_DIR) / name


class Control(models.TextChoices):
    NONE = "", "None"
    PAUSE = "pause", "Pause requested"
    CANCEL = "cancel", "Cancel requested"


class ControlRefused(Exception):
    """A control that does not apply to the run's current state; the message says why."""


@dataclass(frozen=True)
class Estimate:
    epoch_seconds: float | None
    remaining_seconds: float | None


def _who(user: Actor) -> str:
    return getattr(user, "username", "") or "the system"


class JSONArrayLength(models.Func):
    """The length of the JSON array under ``key`` of a JSON column; NULL when the key is missing or holds no array
    (SQLite's ``json_array_length``, PostgreSQL's ``jsonb_array_length``, which refuse a string)."""

    output_field = models.IntegerField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(models.F(column))
        self.key = key

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.get_source_expressions()[0])
        path = f'$."{self.key}"'
        return f"(CASE WHEN JSON_TYPE({column}, %s) = 'array' THEN JSON_ARRAY_LENGTH({column}, %s) END)", (*params, path, *params, path)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.get_source_expressions()[0])
        sql = f"(CASE WHEN JSONB_TYPEOF({column} -> %s) = 'array' THEN JSONB_ARRAY_LENGTH({column} -> %s) END)"
        return sql, (*params, self.key, *params, self.key)


class TrainingRunQuerySet(models.QuerySet["TrainingRun"]):
    def active(self) -> TrainingRunQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def unfinished(self) -> TrainingRunQuerySet:
        """Queued, running, paused or interrupted: runs that will (or may, once resumed) train again."""
        return self.exclude(status__in=FINAL_STATUSES)

    def dataset_folders(self, datasets_dir: Path) -> set[str]:
        """The names of the prepared data sets these runs train on (see :meth:`TrainingRun.dataset_folders`).

        A run whose settings or snapshot cannot be read names none: its worker could not prepare any either (it fails
        the run), so none of the sets is its own.
        """
        names: set[str] = set()
        for run in self:
            try:
                names.update(folder.name for folder in run.dataset_folders(datasets_dir))
            except (ValueError, KeyError, TypeError):  # ConfigError and InsufficientData are ValueErrors
                logger.warning("Run %s: its settings or data snapshot cannot be read, so it has no data set.", run.pk, exc_info=True)
        return names

    def without_snapshot(self) -> TrainingRunQuerySet:
        """The runs without their frozen dataset snapshot (a record of every picture learned from: megabytes per run on
        a large library), for pages that show runs rather than train them."""
        return self.defer("dataset_snapshot")

    def snapshot_summary(self, run_id: int, first: int) -> dict[str, Any]:
        """Of the run's dataset snapshot, what a page shows: per split how many (annotation id, revision) pairs and the
        ``first`` ones, and the seed; {} when the run has none.

        Read by the database, so the snapshot itself (megabytes on a large library) is never loaded nor decoded here.
        """
        fields: dict[str, Any] = {"seed": KeyTransform("seed", "dataset_snapshot")}
        for split in ("train", "val"):
            fields[f"{split}_count"] = JSONArrayLength("dataset_snapshot", split)
            fields.update({f"{split}_{i}": KeyTransform(str(i), KeyTransform(split, "dataset_snapshot")) for i in range(first)})
        row = self.filter(pk=run_id).values(**fields).first()
        if row is None or (row["train_count"] is None and row["val_count"] is None):
            return {}
        pairs = {split: [row[f"{split}_{i}"] for i in range(min(first, row[f"{split}_count"] or 0))] for split in ("train", "val")}
        return {"seed": row["seed"], "train": row["train_count"] or 0, "val": row["val_count"] or 0, "first": pairs}

    def snapshot_pairs(self, run_id: int) -> dict[str, Any]:
        """Of the run's dataset snapshot, the ``train`` and ``val`` lists of (annotation id, revision) pairs as stored.

        Only those two keys leave the database: the records of every picture (most of the snapshot) are never loaded.
        """
        splits = {split: KeyTransform(split, "dataset_snapshot") for split in ("train", "val")}
        return self.filter(pk=run_id).values(**splits).first() or {}

    def lease_expired(self, now: datetime | None = None) -> TrainingRunQuerySet:
        """Running rows whose worker stopped renewing its lease: the worker died."""
        return self.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now or timezone.now())

    def heartbeat_older_than(self, moment: datetime) -> TrainingRunQuerySet:
        """Running rows whose worker has not renewed its lease since ``moment``."""
        return self.filter(status=RunStatus.RUNNING, heartbeat_at__lt=moment)

    def starting_from(self, source: str, pk: int) -> list[TrainingRun]:
        """Unfinished runs whose settings start from the store file ``source:pk`` (``version:12``, ``upload:3``).

        Each looks the file up again when it starts or resumes, so the file must stay in the store until they end.
        """
        from core.training.config import ConfigError, parse_weights_reference

        runs: list[TrainingRun] = []
        for run in self.exclude(status__in=FINAL_STATUSES).order_by("pk"):
            try:
                if parse_weights_reference(str(run.config.get("weights") or "")) == (source, pk):
                    runs.append(run)
            except ConfigError:  # no starting weights
                continue
        return runs

    # --- the worker's side of the life cycle ------------------------------------------------------

    def claim(self, run_id: int, worker: str, now: datetime | None = None) -> bool:
        """Atomically take a queued run for ``worker``; False when another worker has it or it is no longer queued."""
        now = now or timezone.now()
        with transaction.atomic():
            taken = self.filter(pk=run_id, status=RunStatus.QUEUED).update(
                status=RunStatus.RUNNING,
                worker=worker,
                heartbeat_at=now,
                lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                started_at=now,
                control=Control.NONE,
                error="",
                traceback="",
            )
            if taken:
                RunLogLine.objects.add(run_id, "INFO", f"Started on worker {worker}.")
                RunEvent.objects.status(run_id)
        return bool(taken)

    def heartbeat(self, run_id: int, worker: str, now: datetime | None = None) -> bool:
        """Renew the lease; False when the run is no longer this worker's (reaped or finished)."""
        now = now or timezone.now()
        return bool(
            self.filter(pk=run_id, worker=worker, status=RunStatus.RUNNING).update(
                heartbeat_at=now, lease_expires_at=now + timedelta(seconds=LEASE_SECONDS)
            )
        )

    def finish(self, run_id: int, worker: str, status: str, *, error: str = "", traceback: str = "", checkpoint_path: str = "") -> bool:
        """Leave the running state, only if this worker still holds the run."""
        fields: dict[str, Any] = {"status": status, "control": Control.NONE, "lease_expires_at": None}
        fields.update(error=error, traceback=traceback)
        if status in FINAL_STATUSES:
            fields["finished_at"] = timezone.now()
        if checkpoint_path:
            fields["checkpoint_path"] = name_in_data_folder(checkpoint_path)
        with transaction.atomic():
            done = self.filter(pk=run_id, worker=worker, status=RunStatus.RUNNING).update(**fields)
            if done:
                RunEvent.objects.status(run_id)
        return bool(done)

    def reap_expired(self, now: datetime | None = None) -> list[int]:
        """Mark running rows of dead workers as interrupted; return their ids.

        A worker is dead when it stopped renewing its lease, or sooner when it ran on this
        machine, its process has ended and its heartbeat is overdue. Called when a worker
        starts a task and every minute by a django-q2 schedule, so no run stays "running" forever.
        """
        from training.worker_processes import worker_is_gone

        now = now or timezone.now()
        overdue = self.heartbeat_older_than(now - timedelta(seconds=STALE_HEARTBEAT_SECONDS))
        dead = list(self.lease_expired(now).values_list("id", "worker"))
        dead += [(run_id, worker) for run_id, worker in overdue.values_list("id", "worker") if worker_is_gone(worker)]
        reaped = []
        for run_id, worker in dict(dead).items():
            with transaction.atomic():
                # Still this worker's and still not renewed: a heartbeat renews the lease and the heartbeat together.
                still_dead = Q(lease_expires_at__lt=now) | Q(heartbeat_at__lt=now - timedelta(seconds=STALE_HEARTBEAT_SECONDS))
                changed = self.filter(still_dead, pk=run_id, worker=worker, status=RunStatus.RUNNING).update(
                    status=RunStatus.INTERRUPTED, control=Control.NONE, lease_expires_at=None
                )
                if changed:
                    run = self.get(pk=run_id)
                    sentence = f"Worker {worker} stopped answering; the run is interrupted. Resume it to continue."
                    RunLogLine.objects.add(run_id, "WARNING", sentence + run.tell_rest_of_sequence_it_waits("its worker stopped during it"))
                    RunEvent.objects.status(run_id)
                    reaped.append(run_id)
        return reaped

    def continue_stranded_sequences(self, now: datetime | None = None) -> list[int]:
        """Go on with each "train all" whose worker was killed between two of its models; return the runs it touched.

        The worker queues the next model after one succeeds, and cancels the rest after one fails or is cancelled. A
        worker killed between the two steps leaves the next model "Queued" with no task behind it: never handed to the
        queue, so without ``queued_at``. Once the previous model ended a lease ago, the next one is queued again, once,
        or the rest is cancelled, whatever other runs train meanwhile. A next model that was handed to the queue is left
        to its task while any run trains (a worker takes it once free; ``requeue_lost`` finds a lost one). Called every
        minute by the maintenance schedule.
        """
        now = now or timezone.now()
        waiting = self.without_snapshot().filter(status=RunStatus.QUEUED, sequence_index__gt=0).exclude(sequence="")
        if self.filter(status=RunStatus.RUNNING).exists():
            waiting = waiting.filter(queued_at__isnull=True)
        touched = []
        for run in waiting:
            previous = self.without_snapshot().filter(sequence=run.sequence, sequence_index=run.sequence_index - 1).first()
            if previous is None or not previous.is_final or previous.finished_at is None:
                continue
            if previous.finished_at > now - timedelta(seconds=LEASE_SECONDS):  # its worker may be queueing the next one now
                continue
            if previous.status != RunStatus.SUCCEEDED:
                what = "failed" if previous.status == RunStatus.FAILED else "was cancelled"
                previous.cancel_rest_of_sequence(f'Cancelled because run #{previous.pk} of the same "train all" {what}.')
                touched.append(run.pk)
                continue
            sentence = (
                f'Run #{previous.pk} of this "train all" succeeded, but its worker stopped before starting this run; queued it again.'
            )
            if RunLogLine.objects.filter(run_id=run.pk, message=sentence).exists():
                continue
            with transaction.atomic():
                RunLogLine.objects.add(run.pk, "WARNING", sentence)
                RunEvent.objects.status(run.pk)
                run.enqueue()
            touched.append(run.pk)
        return touched

    def requeue_lost(self, now: datetime | None = None) -> list[int]:
        """Queue again, once, each run queued LOST_TASK_SECONDS ago whose task is neither waiting in the queue nor held
        by a worker; return the runs it touched.

        A run whose task is lost a second time is interrupted with a sentence instead, so it never says "Queued" for
        ever. A task delivered twice trains once: a worker must claim the run first. Reads django-q2's ORM broker
        (the default queue); Redis's queue is not read, so with Redis nothing is done. Called every minute by the
        maintenance schedule.
        """
        if "orm" not in settings.Q_CLUSTER:
            return []
        now = now or timezone.now()
        lost_before = now - timedelta(seconds=LOST_TASK_SECONDS)
        candidates = list(self.without_snapshot().filter(status=RunStatus.QUEUED, queued_at__lt=lost_before))
        if not candidates:
            return []
        in_queue = _runs_in_queue()
        touched = []
        for run in candidates:
            if run.pk in in_queue:
                continue
            again = RunLogLine.objects.filter(run_id=run.pk).order_by("-id").values_list("message", flat=True).first() != REQUEUED_SENTENCE
            with transaction.atomic():
                unchanged = self.filter(pk=run.pk, status=RunStatus.QUEUED, queued_at=run.queued_at)
                if again:
                    if not unchanged.update(queued_at=now):
                        continue
                    RunLogLine.objects.add(run.pk, "WARNING", REQUEUED_SENTENCE)
                    run.enqueue()
                else:
                    sentence = (
                        "No worker received this run's task, even after it was queued again: the worker stops before "
                        "starting it, or the queue loses it (see the worker's log). The run is interrupted; resume it "
                        "once the worker runs again."
                    )
                    if not unchanged.update(status=RunStatus.INTERRUPTED, control=Control.NONE, error=sentence):
                        continue
                    RunLogLine.objects.add(run.pk, "ERROR", sentence + run.tell_rest_of_sequence_it_waits("no worker received it"))
                RunEvent.objects.status(run.pk)
            touched.append(run.pk)
        return touched

    # --- launching ---------------------------------------------------------------------------------

    def launch(
        self,
        model_types: list[str],
        configs: dict[str, dict[str, Any]],
        dataset_snapshots: dict[str, dict[str, Any]],
        user: Actor,
        device: str = "",
        folds: int = 0,
        launch_token: str = "",
    ) -> list[TrainingRun]:
        """Create one run, or a "train all" sequence that runs in this order, and queue the first.

        ``folds`` above 0 makes the (single) run a cross-validation of its settings. ``launch_token``
        names the form that asked: the same form sent twice (a double click) returns the runs it
        already queued instead of queueing twins.
        """
        if folds and len(model_types) != 1:
            raise ValueError("A cross-validation checks the settings of one model; choose the view or the defect model.")
        import uuid

        sequence = uuid.uuid4().hex if len(model_types) > 1 else ""
        try:
            with transaction.atomic():
                runs: list[TrainingRun] = [
                    self.create(
                        model_type=model_type,
                        config=configs[model_type],
                        dataset_snapshot=dataset_snapshots[model_type],
                        device=device,
                        created_by=recorded_user(user),
                        sequence=sequence,
                        sequence_index=index,
                        folds=folds,
                        launch_token=launch_token,
                    )
                    for index, model_type in enumerate(model_types)
                ]
                for run in runs:
                    what = f": a {folds}-fold cross-validation of these settings, grouped by wire" if folds else ""
                    RunLogLine.objects.add(run.pk, "INFO", f"Queued by {_who(user)}{what}.")
                    RunEvent.objects.status(run.pk)
                runs[0].enqueue()
        except IntegrityError:  # the same form sent twice at the same moment: the other request queued it
            earlier = self.launched_from(launch_token)
            if not earlier:
                raise
            return earlier
        return runs

    def launched_from(self, launch_token: str) -> list[TrainingRun]:
        """The runs the launch form with this token queued, in sequence order; [] for no token or an unused one."""
        return list(self.filter(launch_token=launch_token).order_by("sequence_index")) if launch_token else []


class TrainingRun(models.Model):
    """One training job of one model type."""

    model_type = models.CharField(max_length=9, choices=ModelType.choices)
    status = models.CharField(max_length=11, choices=RunStatus.choices, default=RunStatus.QUEUED)
    #: The exact configuration used, as the trainer's config dataclass serialised to JSON.
    config = models.JSONField(default=dict)
    #: Which annotation revisions went to train and to val:
    #: ``{"train": [[annotation_id, revision], ...], "val": [...], "seed": 0, ...}``.
    dataset_snapshot = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=50, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="", help_text="A sentence for the user.")
    traceback = models.TextField(blank=True, default="")
    # Lease held by the worker running this row; renewed by its heartbeat.
    worker = models.CharField(max_length=100, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    control = models.CharField(max_length=6, choices=Control.choices, blank=True, default=Control.NONE)
    #: Throttled progress inside the epoch: ``{"epoch": 3, "batch": 10, "batches": 40, ...}``.
    progress = models.JSONField(default=dict, blank=True)
    checkpoint_path = models.CharField(max_length=500, blank=True, default="")
    #: Runs launched together by "train all" share a sequence id and run in order.
    sequence = models.CharField(max_length=36, blank=True, default="")
    sequence_index = models.PositiveSmallIntegerField(default=0)
    #: Above 0: a cross-validation of the settings in this many folds grouped by wire (``core.crossval``), then the
    #: final model trained and registered as usual; 0: an ordinary training run.
    folds = models.PositiveSmallIntegerField(default=0)
    #: The out-of-fold summary of a finished cross-validation (``core.evaluation.outoffold.summarise``).
    cross_validation = models.JSONField(default=dict, blank=True)
    #: The random token of the launch form that queued the run: the same form sent twice queues nothing more.
    launch_token = models.CharField(max_length=32, blank=True, default="")
    #: When the run was last handed to the queue (launched, resumed, its turn in a "train all"); None while a later
    #: model of a "train all" waits for its turn.
    queued_at = models.DateTimeField(null=True, blank=True)

    objects = TrainingRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status"], name="run_status_idx"),
            models.Index(fields=["model_type", "status"], name="run_type_status_idx"),
            models.Index(fields=["sequence", "sequence_index"], name="run_sequence_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RunStatus.values), name="run_status_valid"),
            models.CheckConstraint(condition=Q(model_type__in=ModelType.values), name="run_model_type_valid"),
            models.UniqueConstraint(
                fields=["launch_token", "sequence_index"], condition=~Q(launch_token=""), name="run_launched_once_per_form"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_display} run #{self.pk} ({self.status})"

    @property
    def model_display(self) -> str:
        """Its type with the network its settings build, e.g. "Defect classifier (ResNet18)"."""
        return model_display(self.model_type, self.config)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def can_pause(self) -> bool:
        return self.status == RunStatus.RUNNING and self.control == Control.NONE

    @property
    def can_cancel(self) -> bool:
        stoppable = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.INTERRUPTED)
        return self.status in stoppable and self.control != Control.CANCEL

    @property
    def can_resume(self) -> bool:
        return self.status in (RunStatus.PAUSED, RunStatus.INTERRUPTED)

    @property
    def checkpoint_file(self) -> Path | None:
        """The run's best checkpoint (paused or cancelled: its folder) on this server, or None.

        The row names it inside the data folder; rows written before hold the absolute path, which is used as it is.
        """
        return path_in_data_folder(self.checkpoint_path) if self.checkpoint_path else None

    @property
    def checkpoint_name(self) -> str:
        """The checkpoint as users read it: its name inside the data folder, also for rows holding an absolute path."""
        return name_in_data_folder(self.checkpoint_path) if self.checkpoint_path else ""

    @staticmethod
    def folder_of(run_id: int) -> Path:
        """A run's folder under RUNS_DIR: checkpoints, TensorBoard files, its report and result."""
        return Path(settings.RUNS_DIR) / f"run-{run_id}"

    @property
    def folder(self) -> Path:
        return TrainingRun.folder_of(self.pk)

    #: The file in a run's folder naming the run that writes there (its id and creation time: ids come back after a restore).
    FOLDER_MARK = ".wiresag-run"

    def folder_mark(self) -> str:
        return json.dumps({"run": self.pk, "created_at": self.created_at.isoformat()})

    def take_folder(self) -> str:
        """Make the run's folder its own before it trains there; return the name another run's files were moved to, or "".

        Ids come back after a restore whose database is older than its ``runs/``: the later day's runs left their folders
        under the ids the restored database hands out again, and a run would take their checkpoint for its own and
        "resume" someone else's training (and register that model as its own). A folder marked by another run (or, from
        before the mark, holding only files older than this run) is moved beside, not deleted: the operator may still
        want it. A folder this run marked is its own whatever its files' times say: a file server whose clock lags the
        web host's stamps a paused run's checkpoint "before" the run.
        """
        folder = self.folder
        mark = folder / self.FOLDER_MARK
        try:
            found: str | None = mark.read_text(encoding="utf-8")
        except FileNotFoundError:
            found = None
        except (OSError, UnicodeDecodeError):
            found = ""  # unreadable: not this run's
        if found is None:
            times = [path.lstat().st_mtime for path in folder.rglob("*")]
            others = bool(times) and max(times) < self.created_at.timestamp()
        else:
            others = found != self.folder_mark()
        aside = ""
        if others:
            stamp = f"{folder.name}.not-in-database-{timezone.now():%Y%m%d-%H%M%S}"
            target, count = folder.with_name(stamp), 1
            while target.exists():  # set aside twice within a second: each is kept
                count += 1
                target = folder.with_name(f"{stamp}-{count}")
            folder.rename(target)
            aside = target.name
        folder.mkdir(parents=True, exist_ok=True)
        mark.write_text(self.folder_mark(), encoding="utf-8")
        return aside

    def delete_with_folder(self) -> None:
        """Delete the run and, once that commits, its folder (checkpoints, TensorBoard files, report, log).

        Registered versions keep their own copies in the models folder, so nothing a version needs goes with it.
        """
        folder = self.folder
        with transaction.atomic():
            self.delete()
            transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))

    def dataset_folders(self, datasets_dir: Path) -> list[Path]:
        """The prepared data sets under ``datasets_dir`` this run trains on (a cross-validation: its folds' and its final
        model's), whether prepared yet or not; the same names the trainer's ``prepare`` gives them."""
        from core.crossval import fold_dataset_folders
        from core.training.config import from_json
        from core.training.runner import dataset_folder
        from training.snapshot import snapshot_from_run_json

        config = from_json({**self.config, "model_type": self.model_type})
        snapshot = snapshot_from_run_json(self.dataset_snapshot)
        folders = [dataset_folder(self.model_type, config, snapshot, datasets_dir)]
        if self.is_cross_validation:
            folders += fold_dataset_folders(self.model_type, config, [*snapshot.train, *snapshot.val], self.folds, datasets_dir)
        return folders

    def report_url(self) -> str:
        """The version page of the model this run registered (the registry's one-to-one), or ""."""
        from django.urls import reverse

        version = getattr(self, "model_version", None)
        return reverse("registry:detail", args=[version.pk]) if version is not None else ""

    def status_event(self) -> dict[str, Any]:
        """The live ``status`` event: what the run is doing, what the controls may do, the time left.

        The page applies it as it comes and keeps no rules of its own about the buttons.
        """
        estimate = self.estimate()
        return {
            "type": "status",
            "run": self.pk,
            "status": self.status,
            "status_display": self.get_status_display(),
            "final": self.is_final,
            "control": self.control,
            "controls": {"pause": self.can_pause, "resume": self.can_resume, "cancel": self.can_cancel},
            "error": self.error,
            "device": self.device,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "model_type": self.model_type,
            "sequence": self.sequence,
            "epoch_seconds": estimate.epoch_seconds,
            "remaining_seconds": estimate.remaining_seconds,
            # While nothing trains the clock stands still: the time left is what a resume will take.
            "remaining_note": " of training left once resumed" if self.can_resume else "",
            "queue_remaining_seconds": self.queue_remaining_seconds() if self.sequence else None,
            "report_url": self.report_url(),
            "out_of_fold": self.out_of_fold_state,
            "sequence_runs": self.sequence_runs(),
        }

    def sequence_runs(self) -> list[dict[str, Any]]:
        """The runs of this "train all" in order with their status, as the run page's line shows them; [] for one run."""
        from django.urls import reverse

        if not self.sequence:
            return []
        runs = TrainingRun.objects.filter(sequence=self.sequence).order_by("sequence_index").only("model_type", "status")
        return [
            {
                "run": run.pk,
                "model_type": run.model_type,
                "status_display": run.get_status_display(),
                "url": reverse("training:run_detail", args=[run.pk]),
            }
            for run in runs
        ]

    def progress_event(self) -> dict[str, Any]:
        """The live ``progress`` event (inside an epoch): the same shape in the outbox and in the snapshot."""
        return {"type": "progress", "run": self.pk, **self.progress}

    @property
    def epochs_planned(self) -> int:
        """Epochs of the whole job: a cross-validation trains its settings once per fold, then the final model."""
        return int(self.config.get("epochs") or 0) * (self.folds + 1)

    @property
    def is_cross_validation(self) -> bool:
        return self.folds > 0

    def record_cross_validation(self, summary: dict[str, Any]) -> None:
        """Keep a finished cross-validation's out-of-fold summary on the run; an open run page then shows its table."""
        self.cross_validation = summary
        with transaction.atomic():
            TrainingRun.objects.filter(pk=self.pk).update(cross_validation=summary)
            RunEvent.objects.status(self.pk)

    @property
    def out_of_fold_state(self) -> str:
        """What the run page's cross-validation section shows: "table", "ended" (before every fold had finished),
        "pending", or "" for an ordinary run. The live page fetches the section again when the status event says
        another."""
        if not self.is_cross_validation:
            return ""
        if self.cross_validation:
            return "table"
        return "ended" if self.is_final else "pending"

    def cross_validation_rows(self) -> list[dict[str, Any]]:
        """The out-of-fold scores as the run page shows them: mean, spread over folds, fold range."""
        names = {
            "wire_bacc": "Balanced accuracy per wire (evidence verdict)",
            "wire_bacc_three": "The same over SWEEP/WOBBLE/TOUCH",
            "picture_bacc": "Balanced accuracy per box" if self.model_type == "defect" else "Balanced accuracy per box (view)",
        }
        scores = self.cross_validation.get("scores", {})
        return [{"key": key, "name": names.get(key, key), **scores[key]} for key in names if key in scores]

    def cross_validation_folds(self) -> list[dict[str, Any]]:
        """Each fold's scores in the columns of :meth:`cross_validation_rows`; None where the fold had nothing to score."""
        keys = [row["key"] for row in self.cross_validation_rows()]
        return [{"number": fold["fold"] + 1, "scores": [fold.get(key) for key in keys]} for fold in self.cross_validation.get("folds", [])]

    def cross_validation_has_gaps(self) -> bool:
        """Whether a fold had nothing to score in a column (shown as "–", which the page then explains)."""
        return any(score is None or score != score for fold in self.cross_validation_folds() for score in fold["scores"])

    def cross_validation_intervals(self) -> list[dict[str, Any]]:
        """The pooled per-wire scores with their bootstrap interval over the wires, as the run page says them."""
        names = {"wire_bacc": "per wire", "wire_bacc_three": "per wire over SWEEP/WOBBLE/TOUCH"}
        intervals = self.cross_validation.get("wire_interval", {})
        return [{"name": names[key], **intervals[key]} for key in names if intervals.get(key)]

    def cross_validation_trust(self) -> list[dict[str, Any]]:
        """Per confidence line, how often the out-of-fold wire verdicts at or above it were right, and those below."""
        return list(self.cross_validation.get("wire_trust", []))

    def cross_validation_recall(self) -> list[dict[str, Any]]:
        """Per class: right and support per box, and per wire when the model gives wire verdicts."""
        wires = {label: (right, support) for label, right, support in self.cross_validation.get("wire_recall", [])}
        return [
            {"label": label, "right": right, "support": support, "wire": wires.get(label)}
            for label, right, support in self.cross_validation.get("picture_recall", [])
        ]

    # --- queueing and the user's controls -------------------------------------------------------

    def enqueue(self) -> None:
        """Hand the run to a django-q2 worker (after commit, so the worker sees the row).

        The training queue by name: the maintenance schedule queues from the quick cluster, whose default is its own.
        """
        import uuid

        from django_q.tasks import async_task
        from redis.exceptions import RedisError

        run_id, queue = self.pk, settings.Q_CLUSTER["name"]
        name = f"training-run-{run_id}-{uuid.uuid4().hex[:8]}"
        self.queued_at = timezone.now()
        TrainingRun.objects.filter(pk=run_id).update(queued_at=self.queued_at)

        def send() -> None:
            try:
                async_task(TASK_FUNCTION, run_id, task_name=name, cluster=queue)
            except RedisError as error:
                # Nothing queues it again from Redis (``requeue_lost`` reads only the database's queue): said, not "Queued" for ever.
                logger.error("The queue (Redis) did not take run %s: %s", run_id, error)
                TrainingRun.objects.without_snapshot().get(pk=run_id).interrupt_unqueued()

        transaction.on_commit(send)

    def interrupt_unqueued(self) -> None:
        """The queue refused the run's task (Redis stopped or unreachable): interrupted, resumable, with a sentence."""
        with transaction.atomic():
            if not TrainingRun.objects.filter(pk=self.pk, status=RunStatus.QUEUED).update(
                status=RunStatus.INTERRUPTED, control=Control.NONE, error=QUEUE_DOWN_SENTENCE
            ):
                return
            waits = self.tell_rest_of_sequence_it_waits("the queue did not take it")
            RunLogLine.objects.add(self.pk, "ERROR", QUEUE_DOWN_SENTENCE + waits)
            RunEvent.objects.status(self.pk)

    def request_cancel(self, user: Actor) -> None:
        """Cancel: at once when no worker trains it, else within one batch."""
        runs = TrainingRun.objects
        with transaction.atomic():
            idle = Q(status__in=(RunStatus.QUEUED, RunStatus.PAUSED, RunStatus.INTERRUPTED))
            if runs.filter(idle, pk=self.pk).update(status=RunStatus.CANCELLED, finished_at=timezone.now(), control=Control.NONE):
                RunLogLine.objects.add(self.pk, "INFO", f"Cancelled by {_who(user)}.")
                self.cancel_rest_of_sequence(f'Cancelled because run #{self.pk} of the same "train all" was cancelled.')
            elif runs.filter(pk=self.pk, status=RunStatus.RUNNING).update(control=Control.CANCEL):
                RunLogLine.objects.add(self.pk, "INFO", f"Cancel requested by {_who(user)}; the run stops after the current batch.")
            else:
                raise ControlRefused(f"Run #{self.pk} is {self.get_status_display().lower()}; there is nothing to cancel.")
            RunEvent.objects.status(self.pk)

    def request_pause(self, user: Actor) -> None:
        """Pause: the trainer stops after the current batch and the worker is freed.

        Checkpoints are written at the end of each epoch, so a resume repeats the epoch that was
        paused from its start; the messages say so rather than promise a checkpoint mid-epoch.
        """
        with transaction.atomic():
            if not TrainingRun.objects.filter(pk=self.pk, status=RunStatus.RUNNING, control=Control.NONE).update(control=Control.PAUSE):
                raise ControlRefused(f"Run #{self.pk} is not training right now, so it cannot be paused.")
            RunLogLine.objects.add(
                self.pk,
                "INFO",
                f"Pause requested by {_who(user)}; training stops after this batch. The checkpoint is the one from the end of the last "
                "finished epoch, so a resume repeats the current epoch from its start.",
            )
            RunEvent.objects.status(self.pk)

    def request_resume(self, user: Actor) -> None:
        """Resume a paused or interrupted run: queue it again; the worker continues from its checkpoint."""
        with transaction.atomic():
            resumable = Q(status__in=(RunStatus.PAUSED, RunStatus.INTERRUPTED))
            if not TrainingRun.objects.filter(resumable, pk=self.pk).update(status=RunStatus.QUEUED, control=Control.NONE, worker=""):
                state = self.get_status_display().lower()
                raise ControlRefused(f"Run #{self.pk} is {state}; only paused or interrupted runs can be resumed.")
            RunLogLine.objects.add(self.pk, "INFO", f"Resume requested by {_who(user)}.")
            RunEvent.objects.status(self.pk)
            self.enqueue()

    def request(self, action: str, user: Actor) -> None:
        """One of the page's controls by name (``pause``, ``resume``, ``cancel``)."""
        controls = {"pause": self.request_pause, "resume": self.request_resume, "cancel": self.request_cancel}
        if action not in controls:
            raise ControlRefused(f"Unknown control {action!r}; use pause, resume or cancel.")
        controls[action](user)

    # --- "train all" sequences --------------------------------------------------------------------

    def later_in_sequence(self) -> TrainingRunQuerySet:
        later = TrainingRun.objects.without_snapshot().filter(sequence=self.sequence, sequence_index__gt=self.sequence_index)
        return later.order_by("sequence_index")

    def next_in_sequence(self) -> TrainingRun | None:
        return self.later_in_sequence().first() if self.sequence else None

    def cancel_rest_of_sequence(self, reason: str) -> None:
        """A "train all" stops at the first run that does not succeed."""
        if not self.sequence:
            return
        for run_id in list(self.later_in_sequence().filter(status=RunStatus.QUEUED).values_list("id", flat=True)):
            if TrainingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
                status=RunStatus.CANCELLED, finished_at=timezone.now(), error=reason
            ):
                RunLogLine.objects.add(run_id, "INFO", reason)
                RunEvent.objects.status(run_id)

    def tell_rest_of_sequence_it_waits(self, why: str) -> str:
        """This run of a "train all" stopped resumable (interrupted): its later queued runs start only after it
        succeeds, and no worker starts them before. Each of their logs says so; returns the sentence for its own log.
        """
        waiting = list(self.later_in_sequence().filter(status=RunStatus.QUEUED).values_list("id", flat=True)) if self.sequence else []
        if not waiting:
            return ""
        for run_id in waiting:
            RunLogLine.objects.add(
                run_id,
                "WARNING",
                f'Waiting for run #{self.pk} of this "train all": {why}. Resume run #{self.pk} and this run starts after it, '
                f"or cancel run #{self.pk} to drop the rest.",
            )
        numbers = [f"#{run_id}" for run_id in waiting]
        if len(numbers) == 1:
            return f' The later model of this "train all" (run {numbers[0]}) starts after it.'
        return f' The later models of this "train all" (runs {", ".join(numbers[:-1])} and {numbers[-1]}) start after it.'

    # --- the one remaining-time estimate ------------------------------------------------------------

    def estimate(self) -> Estimate:
        """Remaining time: mean of the last ETA_WINDOW epochs times the epochs left; before the first, past runs of the type.

        The live epoch event, the page snapshot and the dashboard all read this, so the time
        shown is the same before and after a reconnect.
        """
        recent = list(self.epochs.order_by("-epoch").values_list("epoch", "seconds")[:ETA_WINDOW])
        if recent:
            per_epoch: float | None = sum(seconds for _, seconds in recent) / len(recent)
            done = recent[0][0]
        else:
            per_epoch = EpochMetric.objects.filter(run__model_type=self.model_type).exclude(run=self).aggregate(mean=Avg("seconds"))["mean"]
            done = 0
        if per_epoch is None or not self.epochs_planned:
            return Estimate(per_epoch, None)
        if self.is_final:
            return Estimate(per_epoch, 0.0)
        return Estimate(per_epoch, max(0.0, per_epoch * (self.epochs_planned - done)))

    def queue_remaining_seconds(self) -> float | None:
        """For "train all": the time left for this run plus every later run of the sequence still to do."""
        runs = [self, *self.later_in_sequence()] if self.sequence else [self]
        total = 0.0
        for run in runs:
            remaining = run.estimate().remaining_seconds
            if remaining is None:
                return None
            total += remaining
        return total


def _runs_in_queue() -> set[int]:
    """The runs with a task in the training queue of django-q2's ORM broker, waiting or taken by a worker (a worker
    keeps the row, locked, until the task ends)."""
    from django_q.models import OrmQ

    rows = OrmQ.objects.using(settings.Q_CLUSTER["orm"]).filter(key=settings.Q_CLUSTER["name"])
    return {row.task["args"][0] for row in rows if row.task.get("func") == TASK_FUNCTION and row.task.get("args")}


class EpochMetric(models.Model):
    """The state at the end of one epoch, as the trainer reported it."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="epochs")
    epoch = models.PositiveIntegerField()
    metrics = models.JSONField(default=dict)
    learning_rate = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    eta_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "epoch"]
        constraints = [models.UniqueConstraint(fields=["run", "epoch"], name="epoch_unique_per_run")]

    def __str__(self) -> str:
        return f"run {self.run_id} epoch {self.epoch}"

    def as_event(self, epochs: int, memory: dict[str, float] | None = None) -> dict[str, Any]:
        """The live ``epoch`` event: the same shape in the outbox and in the page snapshot.

        ``remaining_seconds`` is the run's estimate right after this epoch was stored.
        """
        return {
            "type": "epoch",
            "run": self.run_id,
            "epoch": self.epoch,
            "epochs": epochs,
            "metrics": self.metrics,
            "learning_rate": self.learning_rate,
            "seconds": self.seconds,
            "remaining_seconds": self.eta_seconds,
            "memory": memory or {},
        }


class RunLogLineQuerySet(models.QuerySet["RunLogLine"]):
    def add(self, run_id: int, level: str, message: str) -> RunLogLine:
        """One line in the run's log tail, announced to the live page (inside the caller's transaction)."""
        line = self.create(run_id=run_id, level=level, message=message)
        RunEvent.objects.record(run_id, line.as_event())
        return line


class RunLogLine(models.Model):
    """A line of a run's log (start, end, warnings, errors) for the live log tail."""

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, default="INFO")
    message = models.TextField()

    objects = RunLogLineQuerySet.as_manager()

    class Meta:
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.level}: {self.message[:60]}"

    def as_event(self) -> dict[str, Any]:
        """The live ``log`` event: the same shape in the outbox and in the page snapshot."""
        return {"type": "log", "run": self.run_id, "id": self.id, "level": self.level, "message": self.message, "at": self.at.isoformat()}


class RunEventQuerySet(models.QuerySet["RunEvent"]):
    def record(self, run_id: int, payload: dict[str, Any]) -> RunEvent:
        """Write one outbox row; after commit, publish it when a cross-process layer is configured."""
        event = self.create(run_id=run_id, payload={**payload, "run": run_id})
        message = {**event.payload, "event_id": event.id}
        transaction.on_commit(lambda: publish_after_commit(run_id, message))
        return event

    def status(self, run_id: int) -> RunEvent:
        """The run's status as it is now, to the outbox (inside the caller's transaction).

        The pages of the other runs of a "train all" show this run's status in their line of the sequence: they get
        the line again.
        """
        event = self.record(run_id, TrainingRun.objects.without_snapshot().get(pk=run_id).status_event())
        line = event.payload["sequence_runs"]
        for other in line:
            if other["run"] != run_id:
                self.record(other["run"], {"type": "sequence", "runs": line})
        return event

    def prune(self, older_than: timedelta = timedelta(days=1)) -> int:
        """Live events are only needed while someone watches; metrics and logs stay in their own tables."""
        deleted, _ = self.filter(created_at__lt=timezone.now() - older_than).delete()
        return deleted


def publish_after_commit(run_id: int, message: dict[str, Any]) -> None:
    publish_from_worker(run_id, message)


class RunEvent(models.Model):
    """Outbox of live events (epoch, progress, log, status) for the browser.

    The worker writes a row in the same transaction as the metric it announces.
    With Redis the worker also publishes directly; on the embedded default (no
    cross-process channel layer) the web process relays new rows to its
    websocket groups, so the database stays the truth either way.
    """

    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField()

    objects = RunEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.payload.get('type', 'event')} of run {self.run_id}"
