"""JSON state files written so that a reader never sees half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_atomically(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it over ``path``."""
    handle = tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp", delete=False, encoding="utf-8")
    try:
        with handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
