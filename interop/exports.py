"""Exports as background jobs: the page queues one, shows its progress and then a download link.

A big export (a library of 1004x1004 pictures is easily a few hundred MB) used
to be built inside the request, with the page frozen for half a minute. Now the
request only checks the filters and starts the export in a thread of the web
process (the worker's queue would make it wait behind a training run); the job is a folder
``DATA_DIR/exports/<id>/`` (``core.filejobs``) that ends up holding
``export.zip``. Finished exports are removed by the maintenance schedule once
they are ``EXPORT_EXPIRE_HOURS`` old.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.users import Actor
from annotations.models import Image
from core import filejobs
from core.filejobs import JobRefused, JobStatus
from interop.export import EXPORT_FORMATS, ExportRefused, export_zip, select, unmarked_note, without_boxes_note
from interop.jobs import remove_stale

logger = logging.getLogger("wiresag.export")

KIND = "export"
ZIP_NAME = "export.zip"
#: Held while an export is checked and created, so that two clicks at once see each other's job (beside the jobs' folder).
START_LOCK = ".exports.lock"
#: Room kept for the labels files of an export besides its pictures.
LABELS_ALLOWANCE = 16 * 1024 * 1024


def root() -> Path:
    return Path(settings.DATA_DIR) / "exports"


#: An export whose status has not moved for this long was cut off (the web process that ran it stopped); one
#: whose web process is known to have ended (on this machine) at once.
INTERRUPTED_AFTER_SECONDS = 600
CUT_OFF = filejobs.CutOff(
    INTERRUPTED_AFTER_SECONDS,
    ("queued", "running"),
    "This export stopped half way: the web server was restarted while it ran. Start it again.",
)


def status_of(job_id: str) -> JobStatus:
    return filejobs.read_status(root(), job_id, CUT_OFF)


def zip_of(job_id: str) -> Path:
    """The finished export's zip (``JobNotFound`` for a bad id, ``FileNotFoundError`` while it is not ready)."""
    path = filejobs.job_dir(root(), job_id) / ZIP_NAME
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def download_name(status: JobStatus) -> str:
    return f"wiresag-{status.versions.get('format', 'export')}-{status.id}.zip"


def recent(limit: int = 5) -> list[JobStatus]:
    return filejobs.list_jobs(root(), KIND, limit, CUT_OFF)


def start_export(filters: dict[str, str], format_name: str, *, include_pictures: bool, for_training: bool, user: Actor = None) -> JobStatus:
    """Check the selection now (a refusal is said on the form) and queue the export."""
    if format_name not in EXPORT_FORMATS:
        raise JobRefused("Choose an export format.")
    images = select(**filters, for_training=for_training)
    count = images.count()
    if not count:
        raise JobRefused("No boxes match these filters; widen them and try again.")
    spec: dict[str, Any] = {"format": format_name, "filters": filters, "include_pictures": include_pictures, "for_training": for_training}
    username = getattr(user, "username", "") or ""
    root().mkdir(parents=True, exist_ok=True)
    with (root().parent / START_LOCK).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two clicks at once: one sees the other's job
        unfinished = _refuse_beyond_limits(username)
        spec["estimated_bytes"] = _refuse_without_room(images if include_pictures else None, unfinished)
        status = filejobs.new_job(root(), KIND, spec, user=username, total=count, local_time=timezone.localtime())
        status.versions = {"format": format_name}  # shown on the page and used for the download's name
        status.owner = filejobs.this_process()  # its thread runs here: a restart ends it, and the page says so at once
        filejobs.write_status(root(), status)

    transaction.on_commit(lambda: threading.Thread(target=_run_beside_the_web, args=(status.id,), name=f"export-{status.id}").start())
    return status


def _refuse_beyond_limits(username: str) -> list[JobStatus]:
    """One unfinished export per user, ``EXPORT_MAX_RUNNING`` in all: each copies its whole selection in a web thread.

    Returns the unfinished exports.
    """
    unfinished = [status for status in filejobs.list_jobs(root(), KIND, 10_000, CUT_OFF) if not status.finished]
    mine = [status for status in unfinished if username and status.user == username]
    if mine:
        raise JobRefused(
            f"Your export {mine[0].id} is still being written; wait until it is ready (its page shows how far it got), "
            "then start the next one."
        )
    if len(unfinished) >= settings.EXPORT_MAX_RUNNING:
        raise JobRefused(
            f"{len(unfinished)} exports are being written already (WIRESAG_EXPORT_MAX_RUNNING allows {settings.EXPORT_MAX_RUNNING} "
            "at a time); start yours when one of them is ready."
        )
    return unfinished


def _refuse_without_room(images: QuerySet[Image] | None, unfinished: list[JobStatus]) -> int:
    """The zip holds the stored pictures (or only labels): refuse when writing it, and the unfinished exports'
    zips, would leave too little free disk. Returns this export's estimated size."""
    needed = LABELS_ALLOWANCE
    for file_name in images.values_list("file", flat=True) if images is not None else []:
        with contextlib.suppress(OSError):  # a missing picture is reported by the export itself
            needed += (Path(settings.MEDIA_ROOT) / file_name).stat().st_size
    promised = 0
    for status in unfinished:  # accepted, not yet written: their room is taken
        with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):  # a damaged job file counts nothing
            promised += int(filejobs.read_job(root(), status.id).get("estimated_bytes", 0))
    free = shutil.disk_usage(root()).free - promised
    if free - needed < settings.IMPORT_MIN_FREE_BYTES:
        raise JobRefused(
            f"The server has no room for this export (about {needed / 1e6:,.1f} MB to write, and WIRESAG_IMPORT_MIN_FREE_BYTES "
            "must stay free, besides the exports still being written). Export fewer pictures or the labels only, wait for the "
            "exports being written, or ask an administrator to free disk space."
        )
    return needed


def _run_beside_the_web(job_id: str) -> None:
    """The export in a thread of the web process: not in the worker's queue, where it would wait behind a training
    run for hours (one worker by default). Writing a zip is disk work, done in seconds to minutes."""
    try:
        run_export(job_id)
    except Exception:  # already recorded on the job's page by run_job; logged there too
        pass
    finally:
        connection.close()  # this thread's own database connection


def run_export(job_id: str) -> None:
    """Write the zip next to the job's files, reporting each picture."""

    def work(status: JobStatus) -> str:
        spec = filejobs.read_job(root(), job_id)
        images = select(**spec["filters"], for_training=spec["for_training"])
        folder = filejobs.job_dir(root(), job_id)
        partial = folder / f"{ZIP_NAME}.part"
        status.message = "Writing the zip."
        filejobs.write_status(root(), status)
        try:
            counts = export_zip(
                images, spec["format"], partial, include_pictures=spec["include_pictures"], progress=filejobs.Progress(root(), status)
            )
            partial.replace(folder / ZIP_NAME)  # the download link appears only for a whole file
        except FileNotFoundError as missing:
            lost = Image.objects.filter(sha256=Path(str(missing.filename)).stem).first()  # stored under its sha256
            if lost is None:
                raise JobRefused(
                    "A picture of the selection was deleted while the export was being written, so the export stopped. "
                    "Start the export again; it leaves out the deleted pictures."
                ) from None
            # Checked before the zip was begun (export.refuse_missing_pictures): this one went while it was written.
            raise JobRefused(
                f"The file of the picture {lost.original_name} (id {lost.pk}) went missing from the data folder while the "
                "export was being written, so the export stopped. Copy it back from the backup, or export the labels only."
            ) from None
        finally:
            partial.unlink(missing_ok=True)
        size = (folder / ZIP_NAME).stat().st_size
        what = "labels only" if not spec["include_pictures"] else f"{counts['pictures']} pictures"
        done = f"Exported {counts['boxes']} boxes on {counts['pictures']} pictures ({what}, {size / 1e6:.1f} MB)."
        left_out = without_boxes_note(
            wire_group=spec["filters"].get("wire_group", ""),
            name=spec["filters"].get("name", ""),
            for_training=spec["for_training"],
            all_boxes='"include model boxes waiting for review or rejected" ticked',
        )
        return " ".join(part for part in (done, left_out, unmarked_note(counts)) if part)

    filejobs.run_job(root(), job_id, work, refusals=(ExportRefused,), logger=logger, starting="Reading the selection.")


def _is_job(name: str) -> bool:
    try:
        filejobs.job_dir(root(), name)
    except filejobs.JobNotFound:
        return False
    return True


def expire_finished(now: float | None = None) -> list[str]:
    """Remove export jobs older than ``EXPORT_EXPIRE_HOURS``; return their ids."""
    return remove_stale(root(), _is_job, lambda folder: folder.stat().st_mtime, settings.EXPORT_EXPIRE_HOURS, now)
