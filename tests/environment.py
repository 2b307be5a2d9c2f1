"""Test environment, loaded as a plugin (-p) so it runs before Django reads its settings."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("WIRESAG_DEBUG", "1")
os.environ.setdefault("WIRESAG_HTTPS", "0")
_CREATED = None if "WIRESAG_DATA_DIR" in os.environ else tempfile.mkdtemp(prefix="wiresag-test-")
if _CREATED:
    os.environ["WIRESAG_DATA_DIR"] = _CREATED
# Each test process (pytest-xdist) has a data folder of its own: the two processes' test databases both start their
# runs at id 1, and two runs sharing runs/run-1 (its checkpoint, its folder mark) would take each other's files.
# The controller's folder (created above, inherited by the processes it starts) holds them and goes with the session.
if _WORKER := os.environ.get("PYTEST_XDIST_WORKER"):
    _OWN = Path(os.environ["WIRESAG_DATA_DIR"]) / _WORKER
    _OWN.mkdir(exist_ok=True)
    os.environ["WIRESAG_DATA_DIR"] = str(_OWN)


def pytest_unconfigure(config: object) -> None:
    """The throwaway data folder (about 2 GB after a full run) goes with the session; a given one stays."""
    if _CREATED:
        shutil.rmtree(_CREATED, ignore_errors=True)
