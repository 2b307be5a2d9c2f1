"""Throwaway folders for the benchmarks, removed when the benchmark ends (stdlib only: usable before Django)."""

from __future__ import annotations

import atexit
import shutil
import tempfile


def throwaway_folder(prefix: str) -> str:
    """A new temporary folder, removed when the process exits, after a failure too.

    A benchmark's folder holds a database of 100,000 rows, a download of ``--megabytes`` or
    generated pictures and models: left behind, every run filled the temporary directory further.
    """
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
