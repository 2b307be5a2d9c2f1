"""Every registry test keeps its model files in its own folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _models_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()
