"""Batch inspection and pre-annotation as django-q2 jobs, tracked in files.

A job is a folder (``DATA_DIR/inspections/<id>/`` or ``DATA_DIR/preannotations/<id>/``)
holding ``job.json`` (what to run: pictures, versions, threshold, rule),
``status.json`` (state, progress, message, the django-q2 task id) and, for an
inspection, ``report.json``, ``report.csv`` and ``report.xlsx``. Files rather
than rows: the inspection results are documents to download, and the
annotations app's schema is not this module's to change.

``status.json`` is replaced atomically (temp file + ``os.replace``), so a page
polling it never reads half a file.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.users import Actor
from annotations.models import Image
from annotations.upload import EntryTooLarge, open_zip, read_entry, unsafe_entry_reason, wire_group_for_entry, zip_bounds_problem
from core import filejobs
from core.filejobs import JobNotFound, JobStatus
from core.imaging.pictures import PICTURE_SUFFIXES, PictureInput, unsupported_format
from core.inspection.reports import InspectionReport, load_report
from core.inspection.verdicts import DEFAULT_RULE
from core.labels import parse_wire_name
from core.safepath import UnsafePath, inside
from review.prediction import (
    PredictionUnavailable,
    build_pipeline,
    choose_versions,
    picture_input,
    preannotate,
    version_names,
)

logger = logging.getLogger("wiresag.inspection")

INSPECTION = "inspection"
PREANNOTATION = "preannotation"
_FOLDERS = {INSPECTION: "inspections", PREANNOTATION: "preannotations"}
#: A running job writes its progress at least every picture; one silent this long lost its worker
#: (killed, or its host went down). A queued job may wait behind a training for hours, so only running ones.
INTERRUPTED_AFTER_SECONDS = 600
_CUT_OFF = {
    kind: filejobs.CutOff(
        INTERRUPTED_AFTER_SECONDS,
        ("running",),
        f"This {kind.replace('preannotation', 'pre-annotation')} stopped half way: the worker running it was stopped "
        "or its machine went down. Start it again.",
    )
    for kind in _FOLDERS
}


def root(kind: str) -> Path:
    return Path(settings.DATA_DIR) / _FOLDERS[kind]


def job_dir(kind: str, job_id: str) -> Path:
    """The job's folder; the id is checked so that a URL can never point outside the jobs folder."""
    return filejobs.job_dir(root(kind), job_id)


def _failed_before_it_ran(kind: str, status: JobStatus) -> JobStatus:
    """A queued job whose task the worker gave up on before the job began is failed, with the worker's reason.

    The job's own code marks it running, then done or failed; a task that failed before that (its function
    not found after an upgrade that moved it, as jobs queued by code older than 2026-12-02 are, or an error
    in the worker itself) left "Waiting for a worker." for ever, and a queued job cannot be started again.
    django-q2 keeps every failed task, under the id the job recorded.
    """
    if status.state != "queued" or not status.task_id:
        return status
    from django_q.models import Task

    task = Task.objects.filter(id=status.task_id, success=False).only("result").first()
    if task is None:
        return status
    reason = str(task.result or "no reason given").split(" : Traceback")[0].strip().splitlines()[0][:200]
    name = kind.replace("preannotation", "pre-annotation")
    status.state = "failed"
    status.message = (
        f"This {name} never began: the worker could not run its task ({reason}). Start it again; if it fails the same "
        "way, an admin finds why in the worker's log."
    )
    return status


def read_status(kind: str, job_id: str) -> JobStatus:
    return _failed_before_it_ran(kind, filejobs.read_status(root(kind), job_id, _CUT_OFF[kind]))


def write_status(kind: str, status: JobStatus) -> None:
    filejobs.write_status(root(kind), status)


def read_job(kind: str, job_id: str) -> dict[str, Any]:
    return filejobs.read_job(root(kind), job_id)


def list_jobs(kind: str, limit: int = 20) -> list[JobStatus]:
    """The newest jobs first (ids start with their creation time)."""
    return [_failed_before_it_ran(kind, status) for status in filejobs.list_jobs(root(kind), kind, limit, _CUT_OFF[kind])]


def report_of(job_id: str) -> InspectionReport:
    """The finished inspection's report; ``JobNotFound`` when it is gone or damaged (cut short, edited by hand)."""
    path = job_dir(INSPECTION, job_id) / "report.json"
    try:
        return load_report(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise JobNotFound(job_id) from None


# --- creating jobs --------------------------------------------------------------------------------


def _new_job(kind: str, spec: dict[str, Any], user: Actor, total: int) -> JobStatus:
    username = getattr(user, "username", "") or ""
    label = str(spec.get("label", ""))  # an inspection's own name ("lot 42, new defect model"), run again with it
    return filejobs.new_job(root(kind), kind, spec, user=username, total=total, local_time=timezone.localtime(), label=label)


def _enqueue(kind: str, status: JobStatus) -> None:
    """Hand the job to a django-q2 worker after commit and remember the task id."""
    from django_q.tasks import async_task
    from redis.exceptions import RedisError

    def refused(queue: str, error: Exception, why: str) -> None:
        """The queue did not take the job: failed with a sentence, not "Waiting for a worker." for ever."""
        logger.error("The queue (%s) did not take %s %s: %s", queue, kind, status.id, error)
        status.state, status.finished_at = "failed", timezone.now().isoformat(timespec="seconds")
        status.message = f"The queue did not take this {kind.replace('preannotation', 'pre-annotation')}: {why}"
        write_status(kind, status)

    def send() -> None:
        # The quick queue: a training run on the main queue may take hours (manage.py worker runs both).
        name = f"{kind}-{status.id}"
        try:
            status.task_id = str(async_task(f"review.inspection.run_{kind}", status.id, task_name=name, cluster=settings.QUICK_QUEUE))
        except RedisError as error:  # WIRESAG_QUEUE=redis with Redis stopped
            return refused(
                "Redis",
                error,
                "Redis (WIRESAG_REDIS_URL) does not answer, so no worker can run it. Run it again once Redis runs again "
                "(an admin finds why in the server's log, wiresag.log in the data folder).",
            )
        except Exception as error:  # the queue's row in a full database (the job's small files still fitted)
            if filejobs.disk_is_full(error):
                return refused(
                    "the database",
                    error,
                    "the server's disk is full, so no worker can run it. Free disk space (or ask an administrator to), then run it again.",
                )
            if not isinstance(error, DatabaseError):
                raise
            # SQLite busy past its timeout, PostgreSQL restarted: not a 500 and "Waiting for a worker." for ever.
            return refused(
                "the database",
                error,
                "the database did not answer, so no worker can run it. Run it again in a minute "
                "(if it fails again, an admin finds why in the server's log, wiresag.log in the data folder).",
            )
        current = read_status(kind, status.id)
        if not current.task_id:
            current.task_id = status.task_id
            write_status(kind, current)

    transaction.on_commit(send)


#: The Inspect and Pre-annotate forms' one-time token: a new one each time the page is shown.
FORM_TOKEN = re.compile(r"[0-9a-f]{32}")
#: One file per form sent, in its kind's jobs folder, named by its token and holding the id of the job it queued.
SENT_FORMS = "sent-forms"
#: A sent form's token is forgotten after this long: far beyond a double click or a return through the browser's history.
SENT_FORM_KEEP_HOURS = 24


class FormAlreadySent(Exception):
    """The form was sent before; ``job_id`` is the job it queued ("" while that send is still queueing it)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id


def new_form_token() -> str:
    return uuid.uuid4().hex


def _claim_form(kind: str, token: str) -> int | None:
    """Claim the form's token, or ``FormAlreadySent``; the claim is an open descriptor of its file, locked.

    The lock is the kernel's (``flock``), not the file's existence: two sends at once claim it once, and the
    claim of a request killed before it queued its job (a server restarted) holds nothing any more, so the
    form may be sent again instead of being "queued" until the token expires. Anything but the form's own
    token (a script, an old page) claims nothing and is not protected.
    """
    if not FORM_TOKEN.fullmatch(token):
        return None
    while True:
        try:
            # The folder inside the jobs folder (one linked elsewhere is refused), and the claim never through a link.
            path = inside(root(kind), SENT_FORMS) / token
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except (UnsafePath, OSError) as error:
            if isinstance(error, OSError) and error.errno not in (errno.ELOOP, errno.EISDIR, errno.ENOTDIR, errno.EEXIST):
                raise
            # A link, or a folder where a file belongs (or the other way round), that the server did not make: not used.
            logger.warning("The claim of sent form %s in %s cannot be used: %s", token, root(kind) / SENT_FORMS, error)
            raise PredictionUnavailable(
                "The server could not record this form as sent, so nothing was queued: a link, or a folder or file it did "
                "not make, is in the way of its record of sent forms. Reload the page and send the form again; if this "
                f"comes back, ask an administrator to check the folder {_FOLDERS[kind]}/{SENT_FORMS} in the data folder."
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another request is queueing this form's job now
            os.close(descriptor)
            raise FormAlreadySent("") from None
        try:
            current = os.stat(path, follow_symlinks=False).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            current = False
        if not current:  # the claim we waited on was given up (its form refused) and removed: claim afresh
            os.close(descriptor)
            continue
        sent = os.read(descriptor, 256).decode("utf-8", "replace").strip()
        if sent:
            os.close(descriptor)
            raise FormAlreadySent(sent)
        return descriptor  # new, or left empty by a request that died before queueing its job


def _once_per_form(kind: str, form_token: str, queue: Callable[[], JobStatus]) -> JobStatus:
    """Queue the job with ``queue()`` unless this form (its one-time token) already queued one: ``FormAlreadySent``."""
    claim = _claim_form(kind, form_token)
    if claim is None:
        return queue()
    try:
        status = queue()
    except BaseException:  # refused (no pictures, a missing model): the corrected form may be sent again
        (root(kind) / SENT_FORMS / form_token).unlink(missing_ok=True)
        os.close(claim)
        raise
    os.write(claim, status.id.encode())
    os.close(claim)
    return status


def _checked_versions(chosen: Mapping[str, int | None] | None) -> dict[str, int]:
    """Resolve the choice now, so a missing model is reported on the form, not in a failed job."""
    versions = choose_versions(chosen)
    return {slot: version.pk for slot, version in versions.items()}


def start_inspection(
    *,
    image_ids: list[int] | None = None,
    archive: UploadedFile | IO[bytes] | None = None,
    archive_name: str = "",
    chosen: Mapping[str, int | None] | None = None,
    conf_threshold: float = 0.25,
    rule: str = DEFAULT_RULE,
    user: Actor = None,
    label: str = "",
    form_token: str = "",
) -> JobStatus:
    """Queue an inspection of library pictures (``image_ids``) or of the pictures in a zip (``archive``).

    ``form_token`` is the Inspect form's one-time token: the same form sent again (a double click, the
    browser's history) raises ``FormAlreadySent`` naming the job it queued instead of queueing another.
    """
    return _once_per_form(
        INSPECTION, form_token, lambda: _queue_inspection(image_ids, archive, archive_name, chosen, conf_threshold, rule, user, label)
    )


def _queue_inspection(
    image_ids: list[int] | None,
    archive: UploadedFile | IO[bytes] | None,
    archive_name: str,
    chosen: Mapping[str, int | None] | None,
    conf_threshold: float,
    rule: str,
    user: Actor,
    label: str,
) -> JobStatus:
    versions = _checked_versions(chosen)
    spec: dict[str, Any] = {"versions": versions, "conf_threshold": conf_threshold, "rule": rule, "label": label}
    if archive is not None:
        spec["archive"] = archive_name or "upload.zip"
        total = 0
    else:
        if not image_ids:
            raise PredictionUnavailable("No pictures match the filter; choose at least one picture or upload a zip.")
        spec["image_ids"] = list(image_ids)
        total = len(image_ids)
    status = _new_job(INSPECTION, spec, user, total)
    if archive is not None:
        try:
            with (job_dir(INSPECTION, status.id) / "upload.zip").open("wb") as target:
                for chunk in archive.chunks() if hasattr(archive, "chunks") else iter(lambda: archive.read(1 << 20), b""):
                    target.write(chunk)
        except OSError as error:  # a full disk: no job is left waiting for a zip it never got
            shutil.rmtree(job_dir(INSPECTION, status.id), ignore_errors=True)
            raise PredictionUnavailable(
                f"The server could not store the zip ({error.strerror or error}); free disk space (or ask an administrator to), "
                "then start the inspection again."
            ) from None
    _enqueue(INSPECTION, status)
    return status


def start_preannotation(
    *,
    image_ids: list[int],
    chosen: Mapping[str, int | None] | None = None,
    conf_threshold: float = 0.25,
    user: Actor = None,
    form_token: str = "",
) -> JobStatus:
    """Queue pre-annotation of the given pictures (those still without boxes when the job runs).

    ``form_token`` is the Pre-annotate form's one-time token, as for ``start_inspection``.
    """
    return _once_per_form(PREANNOTATION, form_token, lambda: _queue_preannotation(image_ids, chosen, conf_threshold, user))


def _queue_preannotation(image_ids: list[int], chosen: Mapping[str, int | None] | None, conf_threshold: float, user: Actor) -> JobStatus:
    versions = _checked_versions(chosen)
    if not image_ids:
        raise PredictionUnavailable("Every picture already has boxes; upload new pictures to pre-annotate.")
    spec = {"versions": versions, "conf_threshold": conf_threshold, "image_ids": list(image_ids)}
    status = _new_job(PREANNOTATION, spec, user, len(image_ids))
    _enqueue(PREANNOTATION, status)
    return status


#: Written into a failed job's folder when it is run again: the new job's id.
AGAIN_MARKER = "run-again"


def _well_formed(spec: object) -> bool:
    """A job.json as ``start_inspection`` / ``start_preannotation`` write it: versions by slot, and picture ids or a zip."""
    if not isinstance(spec, dict) or not isinstance(spec.get("versions"), dict):
        return False
    if not all(isinstance(slot, str) and type(pk) is int for slot, pk in spec["versions"].items()):
        return False
    ids = spec.get("image_ids")
    if ids is None:
        return "archive" in spec
    return isinstance(ids, list) and all(type(pk) is int for pk in ids)


def run_again_as(kind: str, job_id: str) -> str:
    """The id of the job that runs this failed one again, or "" when it has not been run again."""
    marker = job_dir(kind, job_id) / AGAIN_MARKER
    try:
        again = "" if marker.is_symlink() else marker.read_text(encoding="utf-8").strip()
        job_dir(kind, again)  # a job id, not whatever a hand-edited file holds
    except (OSError, ValueError, JobNotFound):
        return ""
    return again


def start_again(kind: str, job_id: str, user: Actor = None) -> JobStatus:
    """Queue a failed job again as a new job with the same pictures, models and settings.

    A worker killed half way (or a machine that went down) leaves a job *failed* with "Start it again";
    this is that, in one click, without choosing everything again. Only a failed job runs again (a
    done one has its report; a queued or running one is still on its way). Its uploaded zip is copied,
    so the old job's files can expire on their own.
    """
    old = read_status(kind, job_id)
    if old.state != "failed":
        raise PredictionUnavailable(f"Only a job that failed or stopped can be run again; this one is {old.state}.")
    damaged = PredictionUnavailable("This job's files are damaged, so it cannot run again; start it anew on the Inspect page.")
    try:
        spec = read_job(kind, job_id)
    except (OSError, ValueError):
        raise damaged from None
    if not _well_formed(spec):
        raise damaged
    try:
        _versions_by_slot(spec)  # a deleted model version is said now, not in another failed job
    except PredictionUnavailable as missing:
        raise PredictionUnavailable(f"{str(missing).split(';')[0]}; choose the models again on the Inspect page.") from None
    upload = job_dir(kind, job_id) / "upload.zip"
    gone = PredictionUnavailable("This job's zip is gone (old jobs' files are removed); upload the zip again on the Inspect page.")
    # The app writes the zip itself, never a link: one that is a link (or gone) is not followed.
    if "archive" in spec and (upload.is_symlink() or not upload.is_file()):
        raise gone
    # Once only: a double click (or a second engineer) gets the job already started, not a second one.
    marker = job_dir(kind, job_id) / AGAIN_MARKER
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        started = run_again_as(kind, job_id)
        raise PredictionUnavailable(f"This job was already run again{f' as {started}' if started else ''}; see the job list.") from None
    status = None
    try:
        status = _new_job(kind, {**spec, "again_of": job_id}, user, len(spec.get("image_ids", [])))
        if "archive" in spec:
            shutil.copyfile(upload, job_dir(kind, status.id) / "upload.zip")
        os.write(descriptor, status.id.encode())
    except BaseException as error:
        os.close(descriptor)
        marker.unlink(missing_ok=True)
        if status is not None:  # never queued: not left "Waiting for a worker" for ever
            shutil.rmtree(job_dir(kind, status.id), ignore_errors=True)
        if isinstance(error, FileNotFoundError) and not upload.exists():  # review-expire-files removed it just now
            raise gone from None
        raise
    os.close(descriptor)
    _enqueue(kind, status)
    return status


# --- expiry (the review-expire-files schedule) ---------------------------------------------------


def expire_files(now: float | None = None) -> list[str]:
    """Forget sent forms' tokens after a day; remove an inspection's uploaded zip ``INSPECTION_ZIP_EXPIRE_HOURS`` after it finished.

    The zip is only needed to run a failed inspection again; the job and its reports stay (they are the
    inspection's record, listed and downloaded). Returns what was removed, relative to the data folder.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    for kind in _FOLDERS:
        # Only inside the jobs folders: a folder linked elsewhere is someone else's, and nothing in it is removed.
        folder = root(kind) / SENT_FORMS
        for token in folder.iterdir() if _stays_inside(root(kind), SENT_FORMS) and folder.is_dir() else ():
            if not FORM_TOKEN.fullmatch(token.name) or not token.is_file():
                continue
            try:
                sent = token.stat().st_mtime
            except FileNotFoundError:  # removed meanwhile: by this schedule run by another worker, or its failed job
                continue
            if sent < now - SENT_FORM_KEEP_HOURS * 3600:
                token.unlink(missing_ok=True)
                removed.append(token)
    finished_before = now - settings.INSPECTION_ZIP_EXPIRE_HOURS * 3600
    for folder in root(INSPECTION).iterdir() if root(INSPECTION).is_dir() else ():
        if not _stays_inside(root(INSPECTION), folder.name):
            continue
        upload = folder / "upload.zip"
        try:
            finished = read_status(INSPECTION, folder.name).finished  # a job a killed worker left running reads as failed
            last_written = (folder / "status.json").stat().st_mtime
        except (JobNotFound, OSError):
            continue
        if finished and last_written < finished_before and (upload.is_file() or upload.is_symlink()):
            upload.unlink(missing_ok=True)
            removed.append(upload)
    return [str(path.relative_to(settings.DATA_DIR)) for path in removed]


def _stays_inside(folder: Path, name: str) -> bool:
    """Whether ``folder / name`` stays inside ``folder`` (is no link out of it); a warning in the log when not."""
    try:
        inside(folder, name)
    except UnsafePath:
        logger.warning("%s is a link out of %s; the expiry leaves it and what it points to alone.", folder / name, folder)
        return False
    return True


# --- running jobs (in the worker) -----------------------------------------------------------------


def _versions_by_slot(spec: Mapping[str, Any]) -> dict[str, Any]:
    from registry.models import ModelVersion

    rows = ModelVersion.objects.in_bulk(list(spec["versions"].values()))
    missing = [slot for slot, pk in spec["versions"].items() if pk not in rows]
    if missing:
        raise PredictionUnavailable(f"The {', '.join(missing)} version chosen for this job was deleted; start the job again.")
    return {slot: rows[pk] for slot, pk in spec["versions"].items()}


def _zip_inputs(folder: Path) -> list[PictureInput]:
    """The pictures of the uploaded zip (read into memory one by one as the pipeline asks)."""
    inputs: list[PictureInput] = []
    try:
        archive = open_zip(folder / "upload.zip")
    except (zipfile.BadZipFile, OSError, EOFError):
        raise PredictionUnavailable("The zip archive is damaged or truncated. Create it again and upload it.") from None
    with archive:
        if problem := zip_bounds_problem(archive):
            raise PredictionUnavailable(problem)
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            base = PurePosixPath(name).name
            if info.is_dir() or name.startswith("__MACOSX/") or base.startswith("._"):
                continue
            if PurePosixPath(base).suffix.lower() not in PICTURE_SUFFIXES and not unsupported_format(base):
                continue
            parsed = parse_wire_name(base)
            group = wire_group_for_entry(name, "")
            wire_id = f"{group}/{parsed.wire_id}" if group else parsed.wire_id
            reason = unsafe_entry_reason(info.filename) or unsupported_format(base)
            if reason:
                inputs.append(PictureInput(name=name, wire_id=wire_id, view=parsed.view, error=reason))
                continue
            try:
                data = read_entry(archive, info, settings.ZIP_ENTRY_MAX_BYTES)
            except (EntryTooLarge, RuntimeError, zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
                inputs.append(PictureInput(name=name, wire_id=wire_id, view=parsed.view, error=str(error)))
                continue
            inputs.append(PictureInput(name=name, data=data, wire_id=wire_id, view=parsed.view))
    if not inputs:
        raise PredictionUnavailable("The zip archive holds no pictures (PNG, JPEG, BMP or TIFF).")
    return inputs


def _run(kind: str, job_id: str, work: Callable[[JobStatus], str | None]) -> None:
    filejobs.run_job(root(kind), job_id, work, refusals=(PredictionUnavailable,), logger=logger, starting="Loading the models.")


def run_inspection(job_id: str) -> None:
    """The django-q2 task: inspect the pictures and write the three report files."""

    def work(status: JobStatus) -> str:
        folder = job_dir(INSPECTION, job_id)
        spec = read_job(INSPECTION, job_id)
        versions = _versions_by_slot(spec)
        status.versions = version_names(versions)
        deleted = 0
        if "archive" in spec:
            inputs = _zip_inputs(folder)
        else:
            images = Image.objects.in_bulk(spec["image_ids"])
            inputs = [picture_input(images[pk]) for pk in spec["image_ids"] if pk in images]
            deleted = len(spec["image_ids"]) - len(inputs)
        status.total, status.message = len(inputs), "Inspecting."
        write_status(INSPECTION, status)
        pipeline = build_pipeline(versions, spec["conf_threshold"], spec.get("rule", DEFAULT_RULE))
        report = pipeline.run(inputs, progress=filejobs.Progress(root(INSPECTION), status), versions=status.versions)
        report, deleted_while = _deleted_while_inspected(report)
        report.write(folder)
        counts = report.counts()
        gone = f" {deleted} of the chosen pictures were deleted before the job ran." if deleted else ""
        if deleted_while:
            was = "was" if deleted_while == 1 else "were"
            gone += f" {deleted_while} of the chosen pictures {was} deleted while the job ran; their rows say so."
        return f"Inspected {counts['pictures']} pictures: {counts['wires']} wires, {counts['pictures_failed']} pictures failed.{gone}"

    _run(INSPECTION, job_id, work)


#: Picture ids a job reads per query (SQLite builds allow 999 or 32,766 variables in one).
PICTURE_IDS_PER_QUERY = 500


#: The row of a library picture that was deleted after the inspection read the list of its pictures.
DELETED_WHILE_INSPECTED = "This picture was deleted from the library while the inspection ran, so it was not inspected."


def _deleted_while_inspected(report: InspectionReport) -> tuple[InspectionReport, int]:
    """The report with the pictures deleted in the library while it ran said as such, and how many there were.

    Without this, such a row said the pipeline's "The file /srv/.../media/images/... cannot be read": a server path
    nobody can check, and nothing about the deletion.
    """
    failed = [picture.ref for picture in report.pictures if picture.error and isinstance(picture.ref, int)]
    present: set[int] = set()
    for start in range(0, len(failed), PICTURE_IDS_PER_QUERY):
        present.update(Image.objects.filter(pk__in=failed[start : start + PICTURE_IDS_PER_QUERY]).values_list("pk", flat=True))
    gone = set(failed) - present
    if not gone:
        return report, 0
    pictures = [replace(picture, error=DELETED_WHILE_INSPECTED) if picture.ref in gone else picture for picture in report.pictures]
    rule, versions, thresholds, created_at = report.rule, report.versions, report.thresholds, report.created_at
    return InspectionReport(pictures, rule=rule, versions=versions, thresholds=thresholds, created_at=created_at), len(gone)


def run_preannotation(job_id: str) -> None:
    """The django-q2 task: pre-annotate the job's pictures that still have no boxes."""

    def work(status: JobStatus) -> str:
        spec = read_job(PREANNOTATION, job_id)
        ids = list(dict.fromkeys(spec["image_ids"]))
        images: list[Image] = []
        found = 0
        # A page of ids per query: one ``pk__in`` of a whole library breaks SQLite's variable limit and weighs on PostgreSQL.
        for start in range(0, len(ids), PICTURE_IDS_PER_QUERY):
            batch = Image.objects.filter(pk__in=ids[start : start + PICTURE_IDS_PER_QUERY])
            found += batch.count()
            images.extend(batch.unannotated())
        images.sort(key=lambda image: image.pk)
        deleted_before = len(ids) - found
        versions = _versions_by_slot(spec)
        status.versions = version_names(versions)
        status.total, status.message = len(images), "Pre-annotating."
        write_status(PREANNOTATION, status)
        summary = preannotate(images, versions, spec["conf_threshold"], progress=filejobs.Progress(root(PREANNOTATION), status))
        problems = f" {len(summary.errors)} pictures failed: {'; '.join(summary.errors[:5])}" if summary.errors else ""
        deleted = deleted_before + summary.deleted
        gone = f" {deleted} were deleted meanwhile." if deleted else ""
        return (
            f"Pre-annotated {summary.pictures} pictures with {summary.boxes} boxes; {summary.skipped} were labelled meanwhile."
            f"{gone}{problems}"
        )

    _run(PREANNOTATION, job_id, work)
