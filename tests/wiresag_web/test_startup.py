"""The web process starts without loading the machine-learning stack (the worker loads it).

Every ``manage.py`` command, web process and worker child pays for what Django's start imports: scikit-learn with
SciPy alone took about 2 s of a 3.5 s start, for reading a report's metrics.
"""

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
print(sorted(m for m in ("torch", "ultralytics", "timm", "albumentations", "tensorboard", "sklearn", "scipy") if m in sys.modules))
"""


def test_web_start_imports_no_torch_ultralytics_timm_or_scikit_learn(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wiresag_web.settings", "WIRESAG_DEBUG": "1", "WIRESAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


FREEZE_PROBE = """
import gc
import django
django.setup()
before = gc.get_freeze_count()
import wiresag_web.asgi
print(before, gc.get_freeze_count())
"""


def test_web_process_freezes_what_it_loaded_so_full_collections_stay_short(tmp_path):
    """What the server loads at start is moved out of the collector's way (gc.freeze), once loaded."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "wiresag_web.settings", "WIRESAG_DEBUG": "1", "WIRESAG_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", FREEZE_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert before == 0
    assert after > 50_000  # the apps, Django, Channels and the URL patterns: ~160,000 objects
