"""Probing manage.py infer as a careless operator runs it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.review.test_prediction import active_set, models  # noqa: F401  (the tiny models, registered and active)
from tests.tiny_models import TinyModels

# --- 1. infer --output var/wiresag.sqlite3 inspected every picture, then wrote the CSV over the live database ----------


def test_infer_refuses_an_output_inside_the_data_folder(active_set, models: TinyModels, settings, tmp_path: Path) -> None:  # noqa: F811  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(models.samples[0].path.read_bytes())
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    database = settings.DATA_DIR / "wiresag.sqlite3"
    database.write_bytes(b"SQLite format 3\x00 the library")
    with pytest.raises(CommandError, match=r"--output .* is inside the data folder .*Write it to a folder outside"):
        call_command("infer", str(folder), "--output", str(database), "--conf", "0.001", stdout=io.StringIO())
    assert database.read_bytes() == b"SQLite format 3\x00 the library"
