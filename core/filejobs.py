"""Background jobs kept as folders of files: what to do, how far it got, what came out.

A job is a folder ``<root>/<id>/`` holding ``job.json`` (what to run),
``status.json`` (state, progress, a sentence) and whatever the job produces
(reports, a zip). Files rather than rows: the results are documents to
download, and a page polling ``status.json`` needs no database schema.
``status.json`` is replaced atomically, so a reader never sees half a file (on a full disk it is written over in
place, never cut short: a reader sees the old status or the new one).

Ids are their creation time (``YYYYMMDD-HHMMSS-uuuuur``: the second, then the
microsecond in five hex digits and one random one), so a listing sorted by name is
newest first, also for jobs started within one second; ids are checked against
that pattern before any path is built: a URL can never point outside ``root``.

Plain Python: the apps hand these functions their folder and queue the work with
django-q2 themselves (batch inspection and pre-annotation in ``review``, exports
in ``interop``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.jsonfile import write_atomically

_JOB_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{6}")
#: Progress is written at most this often (each write is a file replace).
PROGRESS_SECONDS = 0.5


class JobNotFound(Exception):
    pass


class JobRefused(Exception):
    """The job cannot do what it was asked; the message is the sentence its page shows."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    created_at: str = field(default_factory=_now)
    finished_at: str = ""
    user: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    label: str = ""  # the user's own name for the job, shown where jobs are listed
    owner: str = ""  # the process that runs the job (``this_process``): the worker once it runs, an export's web process at once

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def created(self) -> datetime | None:
        """``created_at`` as a time (pages show it in the app's time zone, not as the stored ISO text); None if unreadable
        (not a time, or not text at all in a status file damaged by hand: the job lists must still show)."""
        try:
            return datetime.fromisoformat(self.created_at)
        except (TypeError, ValueError):
            return None

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else (100 if self.state == "done" else 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished": self.finished, "percent": self.percent}


def new_job_id(local_time: datetime | None = None) -> str:
    """The creation time to the microsecond, and one random hex digit for two jobs of the same microsecond."""
    moment = local_time or datetime.now()
    return f"{moment:%Y%m%d-%H%M%S}-{moment.microsecond:05x}{secrets.randbelow(16):x}"


def job_dir(root: Path, job_id: str) -> Path:
    """The job's folder; the id is checked so that a URL can never point outside ``root``."""
    if not _JOB_ID.fullmatch(job_id):
        raise JobNotFound(job_id)
    return root / job_id


@dataclass(frozen=True)
class CutOff:
    """When a job whose status file has not moved for ``seconds`` in one of ``states`` is dead, and the sentence it then shows.

    The process running a job (a web server's thread, a worker) may be killed half way; nothing is
    left to write "failed". Progress is written at least every picture, so long silence means death.
    A job whose ``owner`` process is known to have ended is dead at once.
    """

    seconds: float
    states: tuple[str, ...]
    sentence: str


def _process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from Linux's /proc); "" where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return ""
    return "" if fields[0] == "Z" else fields[19]  # a zombie has ended


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return ""


def this_process() -> str:
    """This process as a job's owner: ``host:pid namespace:pid:start``. The start time tells a process that got an
    ended one's id (a restarted server often does) from that one."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{_pid_namespace()}:{pid}:{_process_start(pid)}"


def owner_is_gone(owner: str) -> bool:
    """True when ``owner`` (``this_process``) ran on this machine, in this process id space, and has ended.

    Anything else (another machine, another container, no /proc) cannot be told: False.
    """
    parts = owner.rsplit(":", 3)
    if len(parts) != 4 or not all(parts) or not parts[2].isdecimal():
        return False
    host, namespace, pid, started = parts
    if host != socket.gethostname() or namespace != _pid_namespace():
        return False
    return _process_start(int(pid)) != started


def read_status(root: Path, job_id: str, cut_off: CutOff | None = None) -> JobStatus:
    path = job_dir(root, job_id) / "status.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        quiet = time.time() - path.stat().st_mtime
        status = JobStatus(**{k: v for k, v in data.items() if k in JobStatus.__dataclass_fields__})
    except (OSError, ValueError, TypeError, AttributeError):  # unreadable, not JSON, or not a status (damaged by hand)
        raise JobNotFound(job_id) from None
    if cut_off is not None and status.state in cut_off.states and (quiet > cut_off.seconds or owner_is_gone(status.owner)):
        status.state, status.message = "failed", cut_off.sentence
    return status


def write_status(root: Path, status: JobStatus) -> None:
    path = job_dir(root, status.id) / "status.json"
    try:
        write_atomically(path, asdict(status))
    except OSError as error:
        if error.errno != errno.ENOSPC or not path.is_file():
            raise
        # A full disk has no room for a new file beside the old one, but the old one's room holds the new: written over
        # it, the page says "running", then "the disk is full", not "Waiting for a worker." for ever.
        _overwrite(path, json.dumps(asdict(status), ensure_ascii=False, indent=1).encode())


def _overwrite(path: Path, data: bytes) -> None:
    """Write ``data`` over the file at ``path`` in the room it already has, or leave its old content whole and raise.

    Never truncated first (the truncation would give the room back to whoever writes next on the full disk): the new
    JSON is padded with spaces to the old length, and a write that runs out of room half way puts the old bytes back,
    so a reader sees the old status or the new one, never a file cut short that loses the job.
    """
    descriptor = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    try:
        old = path.read_bytes()
        new = data.ljust(len(old))
        try:
            if os.pwrite(descriptor, new, 0) != len(new):
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            os.fsync(descriptor)
        except OSError:
            os.pwrite(descriptor, old, 0)  # its own room, held since it was written
            os.ftruncate(descriptor, len(old))  # giving back room always works
            logging.getLogger("wiresag.jobs").error(
                "The disk is full: the status of job %s keeps its last one (%s).", path.parent.name, path
            )
            raise
    finally:
        os.close(descriptor)


def read_job(root: Path, job_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((job_dir(root, job_id) / "job.json").read_text(encoding="utf-8"))
    return data


def new_job(
    root: Path,
    kind: str,
    spec: dict[str, Any],
    *,
    user: str = "",
    total: int = 0,
    local_time: datetime | None = None,
    label: str = "",
) -> JobStatus:
    """Create the job's folder with its ``job.json`` and a queued ``status.json``."""
    root.mkdir(parents=True, exist_ok=True)
    for _ in range(64):  # the same microsecond twice (a clock given by the caller): another random digit
        job_id = new_job_id(local_time)
        folder = job_dir(root, job_id)
        try:
            folder.mkdir()
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"No free job id in {root} for {local_time}.")
    write_atomically(folder / "job.json", spec)
    status = JobStatus(id=job_id, kind=kind, total=total, user=user, message="Waiting for a worker.", label=label)
    write_status(root, status)
    return status


def list_jobs(root: Path, kind: str, limit: int = 20, cut_off: CutOff | None = None) -> list[JobStatus]:
    """The newest jobs first (ids start with their creation time)."""
    if not root.is_dir():
        return []
    statuses: list[JobStatus] = []
    for path in sorted(root.iterdir(), reverse=True):
        if len(statuses) >= limit:
            break
        try:
            status = read_status(root, path.name, cut_off)
        except JobNotFound:
            continue
        if status.kind == kind:
            statuses.append(status)
    return statuses


class Progress:
    """Writes ``done/total`` into the status file, at most every ``PROGRESS_SECONDS``."""

    def __init__(self, root: Path, status: JobStatus) -> None:
        self.root, self.status, self.last = root, status, 0.0

    def __call__(self, done: int, total: int, *_: Any) -> None:
        self.status.done, self.status.total = done, total
        now = time.monotonic()
        if now - self.last >= PROGRESS_SECONDS or done == total:
            self.last = now
            write_status(self.root, self.status)


#: A job that stopped on a full disk (``what``: its kind, "inspection", "export"...).
DISK_FULL = "The server's disk is full, so this {what} stopped half way. Free disk space (or ask an administrator to), then start it again."


#: The database errors that may say a full disk in words (sqlite3's and Django's, psycopg's ``DiskFull``).
_DATABASE_ERRORS = frozenset({"OperationalError", "DiskFull"})


def disk_is_full(error: BaseException) -> bool:
    """A full disk, as a file's write says it (``ENOSPC``), SQLite ("database or disk is full") or PostgreSQL ("could
    not extend file ...: No space left on device").

    The words count only on a database's error: any other error may quote a user's name (a picture, a lot) that says them.
    """
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    if not _DATABASE_ERRORS.intersection(kind.__name__ for kind in type(error).__mro__):
        return False
    return any(words in str(error).lower() for words in ("disk is full", "no space left on device"))


def run_job(
    root: Path,
    job_id: str,
    work: Callable[[JobStatus], str | None],
    *,
    refusals: tuple[type[Exception], ...] = (),
    logger: logging.Logger | None = None,
    starting: str = "Starting.",
) -> None:
    """Run ``work`` for a queued job: its state goes running -> done or failed, with a sentence.

    ``work`` returns the closing sentence. A ``JobRefused`` (or one of ``refusals``)
    fails the job with its own message; anything else fails it with the error named
    and is raised again, so the worker logs it. The running job's ``owner`` is this process, so that its page says at
    once that it stopped when this process ends half way (on this machine). Only a queued job runs: a finished one never runs twice, and
    neither does one left running by a worker that was killed (django-q2's database queue hands its task out
    again once its retry time has passed, long after the job's page said it stopped and to start it again).
    """
    status = read_status(root, job_id)
    if status.state != "queued":
        return
    known: tuple[type[Exception], ...] = (JobRefused, *refusals)
    status.state, status.message = "running", starting
    status.owner = this_process()  # a worker killed half way (SIGKILL, out of memory): its page says so at once
    write_status(root, status)
    try:
        status.message = work(status) or ""
        status.state = "done"
    except known as error:
        status.state, status.message = "failed", str(error)
    except Exception as error:
        if disk_is_full(error):  # not "OSError: [Errno 28] ... /srv/wiresag/...", a server path nobody on the page can use
            what = status.kind.replace("preannotation", "pre-annotation") or "job"
            status.state, status.message = "failed", DISK_FULL.format(what=what)
        else:
            status.state, status.message = "failed", f"The job failed ({type(error).__name__}: {error}); see the server log."
        (logger or logging.getLogger("wiresag.jobs")).exception("%s %s failed", status.kind, job_id)
        raise
    finally:
        status.finished_at = _now()
        write_status(root, status)
