"""The library files an unfinished import is storing, for ``manage.py library_check --remove`` to leave alone.

An import (``interop.apply.apply_plan``) stores every new picture's files as it goes and commits all their rows in one
transaction at its end: on a large import the first files are hours older than their rows, past the check's grace for
files without a row. So the import keeps a claim: a file under ``DATA_DIR/storing`` naming each file it stored, and
the kernel's lock on it (``flock``) while it runs. A claim whose lock nobody holds was left by a process that died (its
transaction rolled back): its files are the check's to judge again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings

_CLAIM_SUFFIX = ".claim"
#: The claim this thread's import holds: the descriptor its names are appended to.
_claim: ContextVar[int | None] = ContextVar("wiresag_storing_claim", default=None)


def claims_dir() -> Path:
    return Path(settings.DATA_DIR) / "storing"


@contextlib.contextmanager
def storing_library_files() -> Iterator[None]:
    """While inside, every file ``note_stored`` is told of counts as claimed, whether or not its row is committed yet."""
    if _claim.get() is not None:  # an outer import holds one already
        yield
        return
    folder = claims_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # Locked under a name the check does not read, then renamed: the check must never find it before it is locked.
    descriptor, unlocked = tempfile.mkstemp(dir=folder, prefix=f"{os.getpid()}-", suffix=".new")
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        claim = unlocked.removesuffix(".new") + _CLAIM_SUFFIX
        os.rename(unlocked, claim)
    except BaseException:
        os.close(descriptor)
        Path(unlocked).unlink(missing_ok=True)
        raise
    token = _claim.set(descriptor)
    try:
        yield
    finally:
        _claim.reset(token)
        Path(claim).unlink(missing_ok=True)  # before the lock goes: the check never takes a live claim for a dead one
        os.close(descriptor)


def note_stored(name: str) -> None:
    """Record ``name`` (its name under ``media/``) in this thread's claim, when an import holds one."""
    descriptor = _claim.get()
    if descriptor is not None:
        os.write(descriptor, f"{name}\n".encode())


def files_being_stored() -> set[str]:
    """The names every running import has stored without committing their rows; claims of dead processes are removed."""
    names: set[str] = set()
    folder = claims_dir()
    if not folder.is_dir():
        return names
    for path in folder.glob(f"*{_CLAIM_SUFFIX}"):
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:  # its import ended meanwhile
            continue
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:  # held: its import is running
                with os.fdopen(os.dup(descriptor), encoding="utf-8", errors="replace") as claim:
                    names.update(line.rstrip("\n") for line in claim if line.endswith("\n"))
                continue
            path.unlink(missing_ok=True)  # nobody holds it: its process died
        finally:
            os.close(descriptor)
    return names
