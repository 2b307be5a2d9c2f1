"""Keep every process of the worker cluster tied to its parent, so none trains unsupervised.

django-q2's cluster is a tree: the ``qcluster`` main process forks a sentinel, the sentinel
forks the workers, the monitor and the pusher, and a training worker forks its DataLoader
processes. A parent killed with SIGKILL cannot stop its children: they go on training and
scheduling, and a restarted cluster runs beside them. On Linux each child asks the kernel to
SIGKILL it when its parent dies (``prctl(PR_SET_PDEATHSIG)``), so the tree dies from the top.
Elsewhere these helpers do nothing and the lease remains the only safety net.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.util
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
# Loaded once here, not after a fork: loading a library in a forked child of a threaded parent can deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask the kernel to SIGKILL this process when its parent ends (Linux; elsewhere nothing happens).

    ``parent_pid`` is the parent this process must belong to: when that parent already died
    between the fork and this call, no signal would ever come, so the process ends at once.
    """
    if _LIBC is None:
        return
    if _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    if parent_pid is not None and os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)


class _AfterFork:
    """The key under which multiprocessing keeps the hook (its registry holds keys weakly)."""


_HOOK_KEY = _AfterFork()


def _die_with_multiprocessing_parent(_key: _AfterFork) -> None:
    parent = multiprocessing.parent_process()
    die_with_parent(parent.pid if parent is not None else None)


def tie_children_to_parents() -> None:
    """Make every process multiprocessing starts from here on (children, grandchildren) die with its parent.

    multiprocessing runs its after-fork hooks in each child it starts; the registry is copied
    into the child, so the sentinel's own children run the hook too.
    """
    multiprocessing.util.register_after_fork(_HOOK_KEY, _die_with_multiprocessing_parent)


def process_is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process on this machine (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


#: ``/proc/<pid>/stat`` flag of a process that has begun to exit (Linux ``PF_EXITING``).
PF_EXITING = 0x4


def process_is_ending(pid: int, signum: int) -> bool | None:
    """Whether process ``pid`` has ended or is ending: gone, a zombie, exiting, or with ``signum`` pending (Linux).

    A signal sent to a whole process group is pending in each member the moment ``killpg`` returns, so a process that
    received it can be told from one that did not however long it waits for the CPU to die of it (a worker at nice 19
    on a busy machine can wait seconds). None where ``/proc`` cannot say (not Linux).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return None
    if fields[0] in ("Z", "X", "x") or int(fields[6]) & PF_EXITING:
        return True
    pending = 0
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")):
            pending |= int(line.split()[1], 16)
    return bool(pending & (1 << (signum - 1)))


def worker_is_gone(worker: str) -> bool:
    """True when ``worker`` (``host:pid``, see ``training.jobs.worker_name``) ran on this machine and its process has ended."""
    import socket

    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdecimal() and not process_is_running(int(pid))


#: Environment variables the math libraries (OpenMP: torch on the CPU; MKL, OpenBLAS) read their thread count from.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def yield_to_the_web(nice: int, threads: int) -> None:
    """Lower this process's CPU priority by ``nice`` and cap the math libraries at ``threads`` threads.

    Called by ``manage.py worker`` before the cluster starts: every process it forks (sentinel,
    workers, DataLoader processes) inherits the priority and the variables, and torch reads
    ``OMP_NUM_THREADS`` when a worker first imports it. The web server, at normal priority, then
    gets the CPU whenever it needs it while a model trains (bench/bench_annotations.py --while-training).
    """
    if nice > 0:
        os.nice(nice)
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
