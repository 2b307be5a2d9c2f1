"""Two runs of an expiry schedule at once (two worker clusters): a job folder the other run removed is no failure."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import pytest

from core import filejobs
from interop import exports, jobs

TWO_DAYS_LATER = time.time() + 48 * 3600


def _the_other_run_removes_the_first_folder_it_is_asked_about(monkeypatch, root: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Between this run's look at a folder and its reading of the folder's time, the other run removes it."""
    real_is_dir = Path.is_dir
    vanished: list[str] = []

    def is_dir(path: Path) -> bool:
        answer = real_is_dir(path)
        if answer and path.parent == root and not vanished:
            shutil.rmtree(path)
            vanished.append(path.name)
        return answer

    monkeypatch.setattr(Path, "is_dir", is_dir)
    return vanished


@pytest.mark.parametrize("kind", ["import", "export"])
def test_an_expiry_run_goes_on_past_a_folder_another_run_removed(kind, monkeypatch, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path / "data"
    if kind == "import":
        root, expire = jobs.jobs_dir(), jobs.expire_abandoned
        for _ in range(2):
            folder = root / uuid.uuid4().hex
            folder.mkdir(parents=True)
            (folder / "job.json").write_text("{}", encoding="utf-8")
    else:
        root, expire = exports.root(), exports.expire_finished
        for _ in range(2):
            filejobs.new_job(root, "export", {})
    folders = {folder.name for folder in root.iterdir()}
    vanished = _the_other_run_removes_the_first_folder_it_is_asked_about(monkeypatch, root)

    removed = expire(now=TWO_DAYS_LATER)

    assert len(vanished) == 1
    assert sorted(removed) == sorted(folders - set(vanished)) and not any(root.iterdir())
