"""Registering, activating, rolling back, deleting and loading model versions.

Plain functions over the ORM, callable from a view, the Django admin, a worker or a management
command (no request needed). Every write is one transaction; files are written before their row
(atomically: temp file + ``os.replace``) and removed only after the row's deletion commits, so a
crash leaves at worst an orphan file that ``manage.py registry_check`` finds.

Metric keys this module reads (as the trainer writes them):

* classifiers: ``accuracy``, ``balanced_accuracy``, ``pass_recall`` (defect only),
  ``per_class = {class: {precision, recall, f1, support}}``, ``confusion_matrix`` (rows = truth,
  columns = prediction, in ``labels`` order, else the DEFECTS / VIEWS order);
* detection: ``mAP50``, ``mAP50-95``, ``precision``, ``recall``.

The quality gate reads a defect version's PASS recall out of fold when a cross-validation trained it
(every PASS box predicted by a model that never saw it), else from ``metrics["per_class"]["PASS"]["recall"]``,
else ``metrics["pass_recall"]``; a defect version with none of them fails the gate.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import random
import stat
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from accounts.users import Actor, recorded_user
from annotations.choices import ModelType
from annotations.models import PASS_WIRES_FOR_TRUST
from core.evaluation.contract import ModelMetrics
from registry.models import ActivationEvent, ModelVersion
from training.models import TrainingRun, name_in_data_folder

logger = logging.getLogger("wiresag.registry")

T = TypeVar("T")

#: The metric each type is named and compared by by default: (metrics key, short tag in the file name).
DEFAULT_SELECTION_METRIC: dict[str, tuple[str, str]] = {
    ModelType.DEFECT: ("balanced_accuracy", "bacc"),
    ModelType.VIEW: ("accuracy", "acc"),
    ModelType.DETECTION: ("mAP50", "map50"),
}
ACTIVATION_ATTEMPTS = 10
_CHUNK = 1024 * 1024
#: The most (annotation id, revision) pairs a version's lineage is read with (about 100 bytes each in memory); a library
#: of 20,000 pictures gives tens of thousands.
LINEAGE_MAX_PAIRS = 1_000_000


class RegistryError(Exception):
    """A refusal with a sentence for the user saying what to do."""


class QualityGateFailed(RegistryError):
    pass


class ActiveVersionProtected(RegistryError):
    pass


class StartingWeightsInUse(RegistryError):
    """An unfinished run starts from this version and loads it again when it starts or resumes."""


class ChecksumMismatch(RegistryError):
    pass


class ModelFileMissing(RegistryError):
    pass


class NoActiveVersion(RegistryError):
    pass


class NothingToRollBackTo(RegistryError):
    pass


class AlreadyActive(RegistryError):
    """The version asked for is already the live one: nothing changes and no event is recorded."""


class ActivationConflict(RegistryError):
    pass


class LineageUnreadable(RegistryError):
    """A version's dataset snapshot lists too many pairs to read at once, or is not made of pairs."""


# --- Paths and checksums -----------------------------------------------------------------------


def models_dir() -> Path:
    return Path(settings.MODELS_DIR).resolve()


def file_of(version: ModelVersion) -> Path:
    """The absolute path of a version's file, refusing any path that leaves the models folder."""
    root = models_dir()
    path = (root / version.file_path).resolve()
    if root not in path.parents:
        raise ModelFileMissing(f"{version.name} points outside the models folder ({version.file_path}); delete this version.")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def slot_key(model_type: str, view_scope: str = "") -> str:
    """``"defect"`` for a model serving both views, ``"defect/TOP"`` for a per-view one."""
    return f"{model_type}/{view_scope}" if view_scope else model_type


# --- Registration --------------------------------------------------------------------------------


def _copy_atomically(source: Path, folder: Path, final_name: str) -> str:
    """Copy ``source`` to ``folder/final_name`` through a temp file; return the sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".incoming-", suffix=".part", delete=False)
    try:
        with handle, source.open("rb") as reader:
            while chunk := reader.read(_CHUNK):
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, folder / final_name)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _selection(model_type: str, metrics: Mapping[str, Any], name: str | None, value: float | None) -> tuple[str, float]:
    key, tag = DEFAULT_SELECTION_METRIC[model_type]
    if value is None:
        value = float(metrics.get(key, 0.0) or 0.0) if name is None or name == tag else float(metrics.get(name, 0.0) or 0.0)
    return (name or tag), float(value)


def register_version(
    model_type: str,
    checkpoint_path: str | os.PathLike[str],
    *,
    metrics: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    dataset_size: int = 0,
    training_run: TrainingRun | None = None,
    view_scope: str = "",
    selection_metric_name: str | None = None,
    selection_metric_value: float | None = None,
) -> ModelVersion:
    """Copy a trained checkpoint into the registry and record it as an inactive version.

    ``checkpoint_path`` is the trainer's file (left in place). The copy lands in
    ``MODELS_DIR/<type>/{type}_{YYYYMMDD_HHMMSS}_{metric}-{value:.2f}.pt``; ``metric`` is
    ``selection_metric_name`` (default ``bacc`` / ``acc`` / ``map50`` by type) and its value
    ``selection_metric_value`` (default read from ``metrics``). Calling it again for the same
    ``training_run`` returns the version already registered, so a retried worker is harmless.
    """
    if model_type not in ModelType.values:
        raise RegistryError(f"Unknown model type {model_type!r}: use one of {', '.join(ModelType.values)}.")
    if training_run is not None:
        existing = ModelVersion.objects.filter(training_run=training_run).first()
        if existing is not None:
            return existing
    source = Path(checkpoint_path)
    if not source.is_file():
        # The sentence becomes the run's error on its page: name the file as the run's page does, not the server's path.
        raise ModelFileMissing(f"The checkpoint {name_in_data_folder(source)} does not exist; the run left no model to register.")
    tag, value = _selection(model_type, metrics, selection_metric_name, selection_metric_value)
    folder = models_dir() / model_type
    # A dash between metric and value: "map50" + "0.85" read as map500.85. Versions named before keep their names.
    stem = f"{model_type}_{timezone.localtime():%Y%m%d_%H%M%S}_{tag}-{value:.2f}"
    # Two workers may finish in the same second with the same score. The name is claimed by inserting
    # the row, and the file is copied inside the same transaction: a second process waits on the
    # unique name, then takes the next one (stem_2, stem_3, ...). A file is never overwritten.
    for counter in itertools.count(1):
        name = stem if counter == 1 else f"{stem}_{counter}"
        target = folder / f"{name}.pt"
        if target.exists():
            continue  # a file without its row (a crash between copy and commit): leave it alone
        try:
            with transaction.atomic():
                version = ModelVersion.objects.create(
                    model_type=model_type,
                    view_scope=view_scope,
                    name=name,
                    file_path=f"{model_type}/{name}.pt",
                    sha256="",
                    metrics=dict(metrics),
                    config=dict(config or {}),
                    dataset_size=dataset_size,
                    training_run=training_run,
                    run_number=training_run.pk if training_run is not None else None,
                )
                try:
                    version.sha256 = sha256 = _copy_atomically(source, folder, f"{name}.pt")
                    version.save(update_fields=["sha256"])
                except BaseException:
                    target.unlink(missing_ok=True)
                    raise
        except IntegrityError:
            if ModelVersion.objects.filter(name=name).exists():
                continue  # another process registered this name first
            raise
        break
    logger.info("Registered %s (%s)", name, sha256[:12])
    return version


# --- Quality gate ----------------------------------------------------------------------------------


def pass_recall(metrics: Mapping[str, Any]) -> float | None:
    """The PASS recall a defect model reached, or None when its metrics do not say."""
    return ModelMetrics.from_json(metrics).pass_recall


#: Below this many PASS validation pictures the gate's message says the recall is coarse.
FEW_PASS_PICTURES = 10


def gate_problem(version: ModelVersion) -> str:
    """Why the quality gate holds this version back, or "" when it passes."""
    if version.model_type != ModelType.DEFECT:
        return ""
    target = settings.PASS_RECALL_GATE
    out_of_fold = version.out_of_fold_pass()
    if out_of_fold is not None:
        # A cross-validation predicted every PASS box with a model that never saw it: a steadier
        # estimate than the few PASS pictures one validation split holds, so the gate reads it.
        found, boxes = out_of_fold
        if found / boxes >= target:
            return ""
        folds = version.out_of_fold().get("k", 0)
        problem = (
            f"{version.name} found {found} of {boxes} PASS boxes out of fold ({folds}-fold cross-validation; recall "
            f"{found / boxes:.2f}), below the quality gate of {target:.2f}."
        )
        wires = next((int(support) for label, _, support in version.out_of_fold().get("wire_recall", []) if label == "PASS"), None)
        if wires is not None and wires < PASS_WIRES_FOR_TRUST:
            more = PASS_WIRES_FOR_TRUST - wires
            problem += (
                f" That recall rests on {wires} PASS wire{'s' if wires != 1 else ''}, so it moves in big steps: about "
                f"{PASS_WIRES_FOR_TRUST} make it steady ({more} more, both views)."
            )
        return problem + " Annotate more PASS wires, or activate with an override and a reason."
    scores = version.scores
    recall = scores.pass_recall
    if recall is None:
        return f"{version.name} has no PASS recall in its metrics, so the quality gate (PASS recall ≥ {target:.2f}) cannot pass it."
    if recall < target:
        problem = f"{version.name} reaches PASS recall {recall:.2f}, below the quality gate of {target:.2f}."
        support = scores.pass_support
        if support is not None and support < FEW_PASS_PICTURES:
            problem += (
                f" That recall rests on {int(support)} PASS validation picture{'s' if support != 1 else ''}, so it moves in big steps:"
                " annotate more PASS wires, or activate with an override and a reason."
            )
        return problem
    return ""


# --- Activation ------------------------------------------------------------------------------------


def _retrying(action: Callable[[], T]) -> T:
    """Run a transaction again when a concurrent activation won the race for the slot."""
    for attempt in range(1, ACTIVATION_ATTEMPTS + 1):
        try:
            return action()
        except (IntegrityError, OperationalError) as error:
            if isinstance(error, OperationalError) and not any(word in str(error) for word in ("locked", "deadlock")):
                raise
            if attempt == ACTIVATION_ATTEMPTS:
                raise ActivationConflict(
                    "Another activation of this model type was running at the same moment; reload the page and try again."
                ) from error
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class _HashedFile:
    """A version's file as it was hashed before the activation's transaction: its sha256 and its identity then."""

    digest: str
    identity: tuple[int, ...]


def _file_identity(path: Path) -> tuple[int, ...] | None:
    """What tells this file from a rewritten or replaced one without reading it (device, inode, size, times), or None."""
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns


def _hash_before_locking(versions: Iterable[ModelVersion | None]) -> dict[int, _HashedFile]:
    """Hash the file of each version outside any transaction.

    A model file of hundreds of MB takes seconds to hash; inside the activation's transaction (on SQLite, the one
    write lock) every other save in the app would wait that long. Under the lock :func:`_activate_locked` only checks
    that the file is still the one hashed. A version without its file is left out: it is refused there with its sentence.
    The live version is hashed too: another activation may replace it before this one takes the lock.
    """
    hashed: dict[int, _HashedFile] = {}
    for version in versions:
        if version is None:
            continue
        try:
            path = file_of(version)
        except ModelFileMissing:
            continue
        identity = _file_identity(path)
        if identity is None:
            continue
        try:
            hashed[version.pk] = _HashedFile(sha256_of(path), identity)
        except OSError:  # removed while it was read
            continue
    return hashed


def _activate_locked(
    version_id: int,
    user: Actor,
    reason: str,
    override_gate: bool,
    action: str,
    hashed: Mapping[int, _HashedFile],
    *,
    skip_active: bool = False,
) -> ActivationEvent | None:
    """Make one version live; must run inside a transaction, with its file hashed before it (:func:`_hash_before_locking`).

    Activating the version that is already live records nothing: it raises :class:`AlreadyActive`,
    or returns None with ``skip_active`` (a bundle that keeps some of its slots as they are).
    """
    unlocked = ModelVersion.objects.filter(pk=version_id).values("model_type", "view_scope").first()
    if unlocked is None:
        raise RegistryError("This version was deleted meanwhile; pick another one.")
    # Lock every row of the slot, always in id order, so concurrent activations queue up here
    # instead of deadlocking (PostgreSQL); on SQLite, BEGIN IMMEDIATE already serialises writers.
    slot = list(ModelVersion.objects.select_for_update().filter(**unlocked).order_by("pk"))
    version = next((row for row in slot if row.pk == version_id), None)
    if version is None:
        raise RegistryError("This version was deleted meanwhile; pick another one.")
    previous = next((row for row in slot if row.is_active), None)
    if previous is not None and previous.pk == version.pk:
        if skip_active:
            return None
        slot_name = slot_key(version.model_type, version.view_scope)
        raise AlreadyActive(f"{version.name} is already the active {slot_name} model; nothing changed.")
    path = file_of(version)
    identity = _file_identity(path)
    if identity is None:  # a live version without its file would fail every inspection
        raise ModelFileMissing(
            f"The file of {version.name} is missing from the models folder ({version.file_path}), so it was not made live; "
            "restore the file from a backup, or delete this version. The live model is unchanged."
        )
    before = hashed.get(version.pk)
    if before is None:  # without its file, or not the rollback target, when the files were hashed: a restore or another activation
        raise ActivationConflict(
            f"{version.name} or its file changed while the activation was being prepared, so it was not made live; reload the "
            "page and try again. The live model is unchanged."
        )
    if before.identity != identity:
        raise ChecksumMismatch(
            f"The file of {version.name} changed on disk while it was being checked, so it was not made live; try again once "
            "nothing writes to it (a restore still copying?). The live model is unchanged."
        )
    if before.digest != version.sha256:  # nor would one whose file changed: inference refuses it (load_checkpoint_path)
        raise ChecksumMismatch(
            f"The file of {version.name} does not match its recorded checksum (it changed on disk since it was registered), so it "
            "was not made live; restore the file from a backup, or delete this version. The live model is unchanged."
        )
    problem = gate_problem(version)
    if problem and not (override_gate and reason.strip()):
        raise QualityGateFailed(f"{problem} To activate it anyway, tick the override and write the reason.")
    if previous is not None:
        ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    return ActivationEvent.objects.create(
        model_type=version.model_type,
        view_scope=version.view_scope,
        version=version,
        previous=previous,
        previous_name=previous.name if previous is not None else "",
        version_name=version.name,
        action=action,
        user=recorded_user(user),
        reason=reason.strip(),
        gate_override=bool(problem),
    )


def activate(version: ModelVersion, user: Actor, reason: str = "", override_gate: bool = False) -> ActivationEvent:
    """Make ``version`` the one live version of its (type, view scope), recording who and why.

    A defect version below the PASS recall gate needs ``override_gate=True`` and a reason.
    """
    hashed = _hash_before_locking([ModelVersion.objects.filter(pk=version.pk).first()])

    def run() -> ActivationEvent:
        with transaction.atomic():
            event = _activate_locked(version.pk, user, reason, override_gate, ActivationEvent.Action.ACTIVATE, hashed)
            assert event is not None  # without skip_active an active version raises AlreadyActive
            return event

    event = _retrying(run)
    version.is_active = True
    logger.info("Activated %s by %s: %s", version.name, user, reason)
    return event


def activate_bundle(versions: Iterable[ModelVersion], user: Actor, reason: str = "", override_gate: bool = False) -> list[ActivationEvent]:
    """Activate a detection + view + defect set together: all of them or none."""
    chosen = sorted(versions, key=lambda version: (version.model_type, version.view_scope))  # one lock order for all
    slots = [(version.model_type, version.view_scope) for version in chosen]
    if not chosen:
        raise RegistryError("Choose at least one version to activate.")
    if len(set(slots)) != len(slots):
        raise RegistryError("A bundle holds one version per model type; choose a single version of each type.")

    hashed = _hash_before_locking(ModelVersion.objects.filter(pk__in=[version.pk for version in chosen]))

    def run() -> list[ActivationEvent]:
        with transaction.atomic():
            events = [
                _activate_locked(version.pk, user, reason, override_gate, ActivationEvent.Action.ACTIVATE, hashed, skip_active=True)
                for version in chosen
            ]
            return [event for event in events if event is not None]

    return _retrying(run)


def rollback_target(model_type: str, view_scope: str = "") -> ModelVersion | None:
    """The version that was live before the current one (skipping deleted versions)."""
    current = ModelVersion.objects.filter(model_type=model_type, view_scope=view_scope, is_active=True).first()
    events = ActivationEvent.objects.filter(model_type=model_type, view_scope=view_scope).select_related("version", "previous")
    for event in events:
        for candidate in (event.version, event.previous):
            if candidate is not None and (current is None or candidate.pk != current.pk):
                return candidate
    return None


def rollback(model_type: str, user: Actor, reason: str = "", view_scope: str = "") -> ActivationEvent:
    """Make the previously active version of this type live again.

    The rollback passes the quality gate by construction: it restores a version that was
    already live, so it records ``gate_override`` but needs no override.
    """

    hashed = _hash_before_locking([rollback_target(model_type, view_scope)])

    def run() -> ActivationEvent:
        with transaction.atomic():
            list(ModelVersion.objects.select_for_update().filter(model_type=model_type, view_scope=view_scope).order_by("pk"))
            target = rollback_target(model_type, view_scope)
            if target is None:
                raise NothingToRollBackTo(
                    f"No earlier {slot_key(model_type, view_scope)} version exists to roll back to; activate a version instead."
                )
            event = _activate_locked(target.pk, user, reason or "Rollback", True, ActivationEvent.Action.ROLLBACK, hashed)
            assert event is not None  # the rollback target is never the live version
            return event

    event = _retrying(run)
    logger.info("Rolled back %s to %s by %s", slot_key(model_type, view_scope), event.version_name, user)
    return event


# --- Deletion --------------------------------------------------------------------------------------


def _deletion_refusal(version: ModelVersion) -> RegistryError | None:
    """Why ``version`` must stay: it is live, or an unfinished run starts from it (it would fail when it resumes)."""
    if version.is_active:
        return ActiveVersionProtected(
            f"{version.name} is the active {slot_key(version.model_type, version.view_scope)} model; activate another version "
            "(or roll back) first, then delete it."
        )
    if waiting := TrainingRun.objects.starting_from("version", version.pk):
        return StartingWeightsInUse(
            f"{version.name} is the starting weights of run #{waiting[0].pk} ({waiting[0].get_status_display().lower()}), which "
            "loads them again when it starts or resumes; let that run finish (or cancel it), then delete the version."
        )
    return None


def deletion_problem(version: ModelVersion) -> str:
    """The sentence :func:`delete_version` would refuse ``version`` with now, or "" (for a page that asks first)."""
    refusal = _deletion_refusal(version)
    return str(refusal) if refusal is not None else ""


def file_kept_reason(version: ModelVersion, *, deleted_with: Collection[ModelVersion] = (), ahead: bool = False) -> str:
    """Why deleting ``version`` leaves its file where it is (another version shares it, its path leaves the models folder,
    it is gone already), or "" when the deletion removes it.

    ``deleted_with``: the versions deleted together with it (a bulk delete): a file only they share with it goes.
    ``ahead``: the sentence for a page that asks first ("will be left alone"), not for the message after.
    """
    try:
        path = file_of(version)
    except ModelFileMissing:  # a path leaving the models folder (edited by hand): no file is touched
        left = "will be left alone" if ahead else "was left alone"
        return (
            f"its file {left}, because its path ({version.file_path}) points outside the models folder; "
            "remove that file by hand if nothing else needs it."
        )
    together = {other.pk for other in deleted_with} | {version.pk}
    sharing = ModelVersion.objects.filter(file_path=version.file_path).exclude(pk__in=together).order_by("pk").first()
    if sharing is not None:
        return f"its file {version.file_path} stays, because {sharing.name} uses it too."
    if not path.exists():
        return f"its file {version.file_path} {'is' if ahead else 'was'} already missing from the models folder."
    return ""


def files_after_deleting(chosen: Sequence[ModelVersion]) -> dict[int, str]:
    """What deleting all of ``chosen`` will do with each one's file, for the page that asks first, by version pk.

    Two versions that share a file only with each other: deleting one alone keeps it (the other uses it), deleting both
    removes it, and each one's line says so.
    """
    fates: dict[int, str] = {}
    for version in chosen:
        if kept := file_kept_reason(version, deleted_with=chosen, ahead=True):
            fates[version.pk] = kept
            continue
        sharing = [other.name for other in chosen if other.pk != version.pk and other.file_path == version.file_path]
        if sharing:
            uses = f"{sharing[0]} uses" if len(sharing) == 1 else f"{', '.join(sharing[:-1])} and {sharing[-1]} use"
            fates[version.pk] = (
                f"file {version.file_path}: removed, because {uses} it too and {'is' if len(sharing) == 1 else 'are'} deleted with it"
            )
        else:
            fates[version.pk] = f"file {version.file_path}: removed"
    return fates


def delete_version(version: ModelVersion, user: Actor) -> str:
    """Delete a version's row and, once that commits, its file; return the sentence saying what happened to both.

    Refused for the active version and for one an unfinished run starts from (it would fail when it resumes). The file
    stays when another version shares it or its path leaves the models folder (:func:`file_kept_reason`).
    """
    with transaction.atomic():
        row = ModelVersion.objects.select_for_update().filter(pk=version.pk).first()
        if row is None:
            return f"{version.name} was already deleted."
        if refusal := _deletion_refusal(row):
            raise refusal
        kept = file_kept_reason(row)
        path = None if kept else file_of(row)
        if kept:
            logger.warning("Deleting %s without removing its file: %s", row.name, kept)
        row.delete()
        if path is not None:
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    logger.info("Deleted %s by %s", version.name, user)
    return f"Deleted {version.name}; {kept}" if kept else f"Deleted {version.name} and its file."


# --- Loading -----------------------------------------------------------------------------------------


def active_version(model_type: str, view_scope: str = "") -> ModelVersion:
    version = ModelVersion.objects.filter(model_type=model_type, view_scope=view_scope, is_active=True).first()
    if version is None:
        raise NoActiveVersion(f"No {slot_key(model_type, view_scope)} model is active; activate one on the registry page.")
    return version


def active_versions() -> dict[str, ModelVersion]:
    """The live versions keyed by :func:`slot_key` (``"detection"``, ``"view"``, ``"defect"``, ``"defect/TOP"``...)."""
    return {slot_key(version.model_type, version.view_scope): version for version in ModelVersion.objects.active()}


def load_checkpoint_path(version: ModelVersion | str, model_type: str | None = None, view_scope: str = "") -> Path:
    """The path of a version's file after checking its sha256; ``"active"`` picks the live one of ``model_type``."""
    if isinstance(version, str):
        if version != "active" or model_type is None:
            raise RegistryError('Pass a ModelVersion, or "active" together with a model type.')
        version = active_version(model_type, view_scope)
    path = file_of(version)
    if not path.is_file():
        # Named as the row stores it: a path on the server means nothing to whoever reads the job's or run's sentence.
        raise ModelFileMissing(
            f"The file of {version.name} is missing from the models folder ({version.file_path}); restore it from a backup "
            "or delete the version."
        )
    actual = sha256_of(path)
    if actual != version.sha256:
        raise ChecksumMismatch(
            f"The file of {version.name} does not match its recorded checksum (expected {version.sha256[:12]}…, "
            f"found {actual[:12]}…); restore it from a backup instead of loading a changed model."
        )
    return path


# --- Housekeeping ------------------------------------------------------------------------------------


@dataclass
class Orphans:
    files_without_rows: list[Path] = field(default_factory=list)
    rows_without_files: list[ModelVersion] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.files_without_rows or self.rows_without_files)


#: A file younger than this is left out of the orphans: a registration copies its model under the final name before
#: its row commits (and streams it into an ``.incoming-*.part`` first), and a ``registry_check --remove`` run at that
#: moment (from cron, say) deleted the model being registered.
ORPHAN_MIN_AGE_SECONDS = 10 * 60


def find_orphans(now: float | None = None) -> Orphans:
    """Files under ``MODELS_DIR/<type>/`` no row points to (left alone while ``ORPHAN_MIN_AGE_SECONDS`` young), and
    rows whose file is gone."""
    root = models_dir()
    known = set(ModelVersion.objects.values_list("file_path", flat=True))
    settled_before = (time.time() if now is None else now) - ORPHAN_MIN_AGE_SECONDS
    orphans = Orphans()
    for model_type in ModelType.values:
        folder = root / model_type
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.relative_to(root).as_posix() not in known and path.stat().st_mtime < settled_before:
                    orphans.files_without_rows.append(path)
    for version in ModelVersion.objects.order_by("model_type", "name"):
        if not (root / version.file_path).is_file():
            orphans.rows_without_files.append(version)
    return orphans


def _is_pair(entry: Any) -> bool:
    return isinstance(entry, list) and len(entry) == 2 and all(type(number) is int for number in entry)


def lineage(version: ModelVersion) -> dict[str, Any]:
    """The seed and the (annotation id, revision) pairs per split the version learned from, or {} without a snapshot.

    Read from its run's dataset snapshot without the records of every picture. Raises :class:`LineageUnreadable`
    for more than :data:`LINEAGE_MAX_PAIRS` pairs (before reading them) or for a split that is not a list of pairs.
    """
    run_id = version.training_run_id
    summary = TrainingRun.objects.snapshot_summary(run_id, 0) if run_id is not None else {}
    if run_id is None or not summary:
        return {}
    total = summary["train"] + summary["val"]
    if total > LINEAGE_MAX_PAIRS:
        raise LineageUnreadable(
            f"{version.name} learned from {total} annotation revisions, more than can be listed at once ({LINEAGE_MAX_PAIRS}); "
            "its page shows how many there are per split and the first of each."
        )
    stored = TrainingRun.objects.snapshot_pairs(run_id)
    pairs: dict[str, Any] = {"seed": summary["seed"]}
    for split in ("train", "val"):
        entries = stored.get(split)
        entries = [] if entries is None else entries
        if not isinstance(entries, list) or not all(_is_pair(entry) for entry in entries):
            raise LineageUnreadable(
                f"The dataset snapshot of {version.name}'s training run is damaged: its {split} list does not hold "
                "[annotation id, revision] pairs, so the annotation revisions it learned from cannot be listed."
            )
        pairs[split] = entries
    return pairs


def lineage_summary(version: ModelVersion, first: int) -> dict[str, Any]:
    """How many annotation revisions the version learned from per split, the ``first`` of each and the seed, or {};
    read without loading its run's dataset snapshot (``TrainingRun.objects.snapshot_summary``)."""
    from training.models import TrainingRun

    return TrainingRun.objects.snapshot_summary(version.training_run_id, first) if version.training_run_id else {}
