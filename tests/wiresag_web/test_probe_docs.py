"""docs/configuration.md as an operator reads it: every variable has a default, and an empty value means that default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_an_empty_import_root_is_the_documented_default_not_the_working_directory(tmp_path: Path) -> None:
    """``WIRESAG_IMPORT_ROOT=`` (an env file's blank line) made the import root the process's working directory:
    started from ``/``, every folder of the server could be imported from."""
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIRESAG_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"WIRESAG_DEBUG": "1", "WIRESAG_DATA_DIR": str(data), "WIRESAG_IMPORT_ROOT": ""})
    show = "from django.conf import settings; print(settings.IMPORT_ROOT)"
    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "shell", "-c", show],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-1000:]
    assert result.stdout.strip().splitlines()[-1] == str((data / "import").resolve())


def test_serve_with_zero_web_processes_is_refused_before_anything_starts(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``--web-processes 0`` fell back to WIRESAG_WEB_PROCESSES and started the server; the refusal the command has
    for it ("must be 1 or more") was never reached."""
    import pytest
    from django.core.management import CommandError, call_command

    from wiresag_web.management.commands import serve

    def started(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("serve started a process")

    monkeypatch.setattr(serve.subprocess, "Popen", started)
    with pytest.raises(CommandError, match="1 or more"):
        call_command("serve", "--no-worker", "--web-processes", "0")
