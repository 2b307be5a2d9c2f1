"""Throwaway folders for the benchmarks, removed when the benchmark ends (stdlib only: usable before Django), and the
Django set-up of a benchmark that works on a throwaway database."""

from __future__ import annotations

import atexit
import os
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


def django_in_throwaway_folder(prefix: str) -> None:
    """Set Django up on a data folder (and SQLite database) of its own, removed at exit; call before importing models."""
    os.environ.update(
        {
            "WIRESAG_DATA_DIR": throwaway_folder(prefix),
            "WIRESAG_DEBUG": "1",
            "WIRESAG_HTTPS": "0",
            "DJANGO_SETTINGS_MODULE": "wiresag_web.settings",
        }
    )
    import django

    django.setup()
