"""Test environment, loaded as a plugin (-p) so it runs before Django reads its settings."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("WIRESAG_DEBUG", "1")
os.environ.setdefault("WIRESAG_HTTPS", "0")
os.environ.setdefault("WIRESAG_DATA_DIR", tempfile.mkdtemp(prefix="wiresag-test-"))
