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

import json
import logging
import re
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.users import Actor
from annotations.models import Image
from annotations.upload import EntryTooLarge, read_entry, unsafe_entry_reason, wire_group_for_entry, zip_bounds_problem
from core.imaging.pictures import PICTURE_SUFFIXES, PictureInput
from core.inspection.reports import InspectionReport, load_report
from core.inspection.verdicts import DEFAULT_RULE
from core.jsonfile import write_atomically
from core.labels import parse_wire_name
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
_JOB_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
#: Progress is written at most this often (each write is a file replace).
PROGRESS_SECONDS = 0.5


class JobNotFound(Exception):
    pass


@dataclass
class JobStatus:
    """What a job page shows: the state, how far it got and a sentence."""

    id: str
    kind: str
    state: str = "queued"  # queued, running, done, failed
    done: int = 0
    total: int = 0
    message: str = ""
    task_id: str = ""
    created_at: str = field(default_factory=lambda: timezone.now().isoformat(timespec="seconds"))
    finished_at: str = ""
    user: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished": self.finished, "percent": self.percent}


def root(kind: str) -> Path:
    return Path(settings.DATA_DIR) / _FOLDERS[kind]


def job_dir(kind: str, job_id: str) -> Path:
    """The job's folder; the id is checked so that a URL can never point outside the jobs folder."""
    if not _JOB_ID.match(job_id):
        raise JobNotFound(job_id)
    return root(kind) / job_id


def read_status(kind: str, job_id: str) -> JobStatus:
    try:
        data = json.loads((job_dir(kind, job_id) / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise JobNotFound(job_id) from None
    return JobStatus(**{k: v for k, v in data.items() if k in JobStatus.__dataclass_fields__})


def write_status(kind: str, status: JobStatus) -> None:
    write_atomically(job_dir(kind, status.id) / "status.json", asdict(status))


def read_job(kind: str, job_id: str) -> dict[str, Any]:
    return json.loads((job_dir(kind, job_id) / "job.json").read_text(encoding="utf-8"))


def list_jobs(kind: str, limit: int = 20) -> list[JobStatus]:
    """The newest jobs first (ids start with their creation time)."""
    folder = root(kind)
    if not folder.is_dir():
        return []
    statuses: list[JobStatus] = []
    for path in sorted(folder.iterdir(), reverse=True):
        if len(statuses) >= limit:
            break
        try:
            statuses.append(read_status(kind, path.name))
        except JobNotFound:
            continue
    return statuses


def report_of(job_id: str) -> InspectionReport:
    path = job_dir(INSPECTION, job_id) / "report.json"
    if not path.is_file():
        raise JobNotFound(job_id)
    return load_report(path)


# --- creating jobs --------------------------------------------------------------------------------


def _new_job(kind: str, spec: dict[str, Any], user: Actor, total: int) -> JobStatus:
    job_id = f"{timezone.localtime():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    folder = job_dir(kind, job_id)
    folder.mkdir(parents=True)
    write_atomically(folder / "job.json", spec)
    status = JobStatus(id=job_id, kind=kind, total=total, user=getattr(user, "username", "") or "", message="Waiting for a worker.")
    write_status(kind, status)
    return status


def _enqueue(kind: str, status: JobStatus) -> None:
    """Hand the job to a django-q2 worker after commit and remember the task id."""
    from django_q.tasks import async_task

    def send() -> None:
        status.task_id = str(async_task(f"review.inspection.run_{kind}", status.id, task_name=f"{kind}-{status.id}"))
        current = read_status(kind, status.id)
        if not current.task_id:
            current.task_id = status.task_id
            write_status(kind, current)

    transaction.on_commit(send)


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
) -> JobStatus:
    """Queue an inspection of library pictures (``image_ids``) or of the pictures in a zip (``archive``)."""
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
        with (job_dir(INSPECTION, status.id) / "upload.zip").open("wb") as target:
            for chunk in archive.chunks() if hasattr(archive, "chunks") else iter(lambda: archive.read(1 << 20), b""):
                target.write(chunk)
    _enqueue(INSPECTION, status)
    return status


def start_preannotation(
    *, image_ids: list[int], chosen: Mapping[str, int | None] | None = None, conf_threshold: float = 0.25, user: Actor = None
) -> JobStatus:
    """Queue pre-annotation of the given pictures (those still without boxes when the job runs)."""
    versions = _checked_versions(chosen)
    if not image_ids:
        raise PredictionUnavailable("Every picture already has boxes; upload new pictures to pre-annotate.")
    spec = {"versions": versions, "conf_threshold": conf_threshold, "image_ids": list(image_ids)}
    status = _new_job(PREANNOTATION, spec, user, len(image_ids))
    _enqueue(PREANNOTATION, status)
    return status


# --- running jobs (in the worker) -----------------------------------------------------------------


class _Progress:
    """Writes ``done/total`` into the status file, at most every PROGRESS_SECONDS."""

    def __init__(self, kind: str, status: JobStatus) -> None:
        self.kind, self.status, self.last = kind, status, 0.0

    def __call__(self, done: int, total: int, *_: Any) -> None:
        self.status.done, self.status.total = done, total
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS or done == total:
            self.last = now
            write_status(self.kind, self.status)


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
        archive = zipfile.ZipFile(folder / "upload.zip")
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
            if PurePosixPath(base).suffix.lower() not in PICTURE_SUFFIXES:
                continue
            parsed = parse_wire_name(base)
            group = wire_group_for_entry(name, "")
            wire_id = f"{group}/{parsed.wire_id}" if group else parsed.wire_id
            reason = unsafe_entry_reason(info.filename)
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
    status = read_status(kind, job_id)
    if status.finished:
        return
    status.state, status.message = "running", "Loading the models."
    write_status(kind, status)
    try:
        status.message = work(status) or ""
        status.state = "done"
    except PredictionUnavailable as error:
        status.state, status.message = "failed", str(error)
    except Exception as error:
        status.state, status.message = "failed", f"The job failed ({type(error).__name__}: {error}); see the server log."
        logger.exception("%s %s failed", kind, job_id)
        raise
    finally:
        status.finished_at = timezone.now().isoformat(timespec="seconds")
        write_status(kind, status)


def run_inspection(job_id: str) -> None:
    """The django-q2 task: inspect the pictures and write the three report files."""

    def work(status: JobStatus) -> str:
        folder = job_dir(INSPECTION, job_id)
        spec = read_job(INSPECTION, job_id)
        versions = _versions_by_slot(spec)
        status.versions = version_names(versions)
        if "archive" in spec:
            inputs = _zip_inputs(folder)
        else:
            images = Image.objects.in_bulk(spec["image_ids"])
            inputs = [picture_input(images[pk]) for pk in spec["image_ids"] if pk in images]
        status.total, status.message = len(inputs), "Inspecting."
        write_status(INSPECTION, status)
        pipeline = build_pipeline(versions, spec["conf_threshold"], spec.get("rule", DEFAULT_RULE))
        report = pipeline.run(inputs, progress=_Progress(INSPECTION, status), versions=status.versions)
        report.write(folder)
        counts = report.counts()
        return f"Inspected {counts['pictures']} pictures: {counts['wires']} wires, {counts['pictures_failed']} pictures failed."

    _run(INSPECTION, job_id, work)


def run_preannotation(job_id: str) -> None:
    """The django-q2 task: pre-annotate the job's pictures that still have no boxes."""

    def work(status: JobStatus) -> str:
        spec = read_job(PREANNOTATION, job_id)
        images = list(Image.objects.filter(pk__in=spec["image_ids"]).unannotated().order_by("pk"))
        versions = _versions_by_slot(spec)
        status.versions = version_names(versions)
        status.total = len(images)
        write_status(PREANNOTATION, status)
        summary = preannotate(images, versions, spec["conf_threshold"], progress=_Progress(PREANNOTATION, status))
        problems = f" {len(summary.errors)} pictures failed: {'; '.join(summary.errors[:5])}" if summary.errors else ""
        return f"Pre-annotated {summary.pictures} pictures with {summary.boxes} boxes; {summary.skipped} were labelled meanwhile.{problems}"

    _run(PREANNOTATION, job_id, work)
