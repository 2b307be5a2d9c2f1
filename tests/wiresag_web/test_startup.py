"""The web process starts without loading the machine-learning stack (the worker loads it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import django
django.setup()
import wiresag_web.asgi, wiresag_web.urls
import sys
print(sorted(m for m in ("torch", "ultralytics", "timm", "albumentations", "tensorboard") if m in sys.modules))
"""


def test_web_start_imports_no_torch_ultralytics_or_timm(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wiresag_web.settings", "WIRESAG_DEBUG": "1", "WIRESAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
