"""Check at start that the data folder is writable and is the one the whole installation shares.

Pictures, checkpoints, run folders and job files live under ``DATA_DIR``. With several hosts (a
web host, workers on GPU hosts) that folder must be one shared mount: a worker writing its
checkpoints to a local disk would register versions the web host cannot read. The first
process to start writes a random token into ``DATA_DIR/.wiresag-folder`` and into the database
(``DataFolderIdentity``); every later process, on any host, must find the same token in its own
``DATA_DIR``. ``manage.py worker``, ``manage.py serve`` and the web server run apart
(``python -m wiresag_web.server``) call ``check_data_folder`` before starting and refuse with a
sentence that says what to fix.
"""

from __future__ import annotations

import os
import secrets
import socket
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from annotations.models import DataFolderIdentity

MARK_NAME = ".wiresag-folder"

#: Below this much free space the next upload (up to 50 MiB a picture) or database write may not fit: warn before
#: the disk is quite full, when logins already fail because their session cannot be saved.
LOW_SPACE_BYTES = 64 * 1024 * 1024


class DataFolderProblem(Exception):
    pass


def _writable(folder: Path) -> None:
    probe = folder / f".write-check-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as error:
        raise DataFolderProblem(
            f"The data folder {folder} is not writable here ({error.strerror or error}). Mount it read-write for the user "
            "running Wiresag, or point WIRESAG_DATA_DIR at a folder that is."
        ) from None


def storage_problem(folder: Path | None = None) -> str:
    """Why ``folder`` (``DATA_DIR``) cannot take writes now (a read-only mount, a full disk), or "" when it can.

    Read from the file system's figures, without writing: ``/health/`` asks it on every call. The sentence names the
    folder by its setting, not its path: ``/health/`` answers anyone, and the path says where the server keeps its files.
    """
    folder = Path(folder or settings.DATA_DIR)
    try:
        stats = os.statvfs(folder)
    except OSError as error:
        return f"The data folder (WIRESAG_DATA_DIR) cannot be read ({error.strerror or error}). Check that it is mounted."
    if stats.f_flag & os.ST_RDONLY:
        return (
            "The data folder (WIRESAG_DATA_DIR) is on a read-only file system: no login, save or upload can be stored. Mount it read-write."
        )
    free = stats.f_bavail * stats.f_frsize
    if free < LOW_SPACE_BYTES:
        return (
            f"The disk of the data folder (WIRESAG_DATA_DIR) is full or nearly ({free // (1024 * 1024)} MiB free): logins, saves and "
            "uploads fail once it is full. Free space there (old runs, exports), or move the data folder to a larger disk."
        )
    return ""


def inside_data_folder_problem(target: Path, what: str) -> str:
    """Why a command must not write ``target``, a path given on its command line, or "" when it may.

    Inside the data folder a report or a zip could replace the database, a picture or a model file (``export_annotations
    var/wiresag.sqlite3`` wrote its zip over the library). ``..`` and links in the path are followed first, and so are
    the data folder's own folders: one linked to another disk (the pictures on a bigger one) is as much Wiresag's.
    """
    data = Path(settings.DATA_DIR).resolve()
    written = target.resolve()
    folders = {
        data,
        *(Path(folder).resolve() for folder in (settings.MEDIA_ROOT, settings.MODELS_DIR, settings.RUNS_DIR, settings.DATASETS_DIR)),
    }
    if not any(written == folder or folder in written.parents for folder in folders):
        return ""
    return (
        f"{what} {target} is inside the data folder {data} (WIRESAG_DATA_DIR), where Wiresag keeps its database, pictures "
        "and models; writing there could replace one of them. Write it to a folder outside the data folder."
    )


def check_data_folder(folder: Path | None = None) -> str:
    """Make sure ``folder`` (``DATA_DIR``) is writable and holds this installation's token; return the token.

    No token recorded yet (a new installation, or one from before this check): the folder's mark,
    or a new token, is recorded. A token recorded: the folder's mark must hold it.
    """
    folder = Path(folder or settings.DATA_DIR)
    _writable(folder)
    mark = folder / MARK_NAME
    found = mark.read_text(encoding="utf-8").strip() if mark.is_file() else ""
    known = DataFolderIdentity.objects.filter(pk=1).first()
    if known is None:
        try:
            with transaction.atomic():
                known = DataFolderIdentity.objects.create(pk=1, token=found or secrets.token_hex(16), created_by_host=socket.gethostname())
        except IntegrityError:  # another process recorded its token at the same moment
            known = DataFolderIdentity.objects.get(pk=1)
        if not found:
            mark.write_text(known.token, encoding="utf-8")
            found = known.token
    if found != known.token:
        first_host = known.created_by_host or "the first host"
        what = f"it holds another installation's mark ({MARK_NAME})" if found else f"it lacks the mark ({MARK_NAME}) {first_host} wrote"
        raise DataFolderProblem(
            f"The data folder {folder} on {socket.gethostname()} is not the one this installation uses: {what}. Every web and "
            "worker process must see the same folder: mount the shared data folder at WIRESAG_DATA_DIR on this host "
            f'(docs/operations.md, "Scaling out"). If this is the right folder and only its mark was lost, write {known.token} '
            f"into {mark}."
        )
    return known.token
