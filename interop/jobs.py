"""The folders unfinished imports keep under ``DATA_DIR/imports``: one per import, gone once it ends.

An import keeps its upload (and the unpacked zip) from the first step until it is
applied or cancelled. One the user walks away from is removed by the maintenance
schedule once it has been left alone for ``IMPORT_EXPIRE_HOURS``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings

#: Job folders are named by a uuid4 hex; nothing else under the imports folder is touched.
_JOB_NAME = re.compile(r"^[0-9a-f]{32}$")
#: The file in an import's folder whose lock is held while the import is being applied.
APPLYING = "applying"


def jobs_dir() -> Path:
    return Path(settings.DATA_DIR) / "imports"


def discard(folder: Path) -> None:
    """Remove one import's folder with everything it holds."""
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def apply_lock(folder: Path) -> Iterator[bool]:
    """True while this request holds the import's apply lock; False when another request holds it or has applied it.

    The lock is the kernel's (``flock``), not the file's existence: a web process killed half way
    through an apply (its transaction rolled back) holds nothing any more, so Apply works again.
    """
    try:
        descriptor = os.open(folder / APPLYING, os.O_CREAT | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileNotFoundError:  # the other click finished and removed the import
        yield False
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield (folder / "job.json").is_file()  # gone: the click that held the lock before applied it
    finally:
        os.close(descriptor)


def _last_used(folder: Path) -> float:
    """The folder's or its job.json's modification time, whichever is later (each step rewrites job.json)."""
    state = folder / "job.json"
    return max(folder.stat().st_mtime, state.stat().st_mtime if state.exists() else 0.0)


def remove_stale(
    root: Path, is_job: Callable[[str], bool], last_used: Callable[[Path], float], hours: float, now: float | None
) -> list[str]:
    """Remove the job folders under ``root`` not used for ``hours``; anything not named like a job is never touched."""
    if not root.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - hours * 3600
    removed = []
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink() or not is_job(folder.name):
            continue
        try:
            unused = last_used(folder) < cutoff
        except FileNotFoundError:  # removed meanwhile: by its import or export, or by this schedule run by another worker
            continue
        if unused:
            discard(folder)
            removed.append(folder.name)
    return removed


def expire_abandoned(now: float | None = None) -> list[str]:
    """Remove the import folders left alone for longer than ``IMPORT_EXPIRE_HOURS``; return their names."""
    return remove_stale(jobs_dir(), lambda name: bool(_JOB_NAME.match(name)), _last_used, settings.IMPORT_EXPIRE_HOURS, now)
