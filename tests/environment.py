"""Test environment, loaded as a plugin (-p) so it runs before Django reads its settings."""

from __future__ import annotations

import os
import shutil
import tempfile

os.environ.setdefault("WIRESAG_DEBUG", "1")
os.environ.setdefault("WIRESAG_HTTPS", "0")
_CREATED = None if "WIRESAG_DATA_DIR" in os.environ else tempfile.mkdtemp(prefix="wiresag-test-")
if _CREATED:
    os.environ["WIRESAG_DATA_DIR"] = _CREATED


def pytest_unconfigure(config: object) -> None:
    """The throwaway data folder (about 2 GB after a full run) goes with the session; a given one stays."""
    if _CREATED:
        shutil.rmtree(_CREATED, ignore_errors=True)
