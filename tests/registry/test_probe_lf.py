"""Version names: the metric and its value no longer run together."""

from __future__ import annotations

import re
from pathlib import Path

from registry.models import ModelVersion
from registry.versions import register_version


def test_a_detection_version_name_separates_map50_from_its_value(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``detection_..._map500.85`` read as "map 500.85": "map50" and "0.85" ran together."""
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"weights")
    version = register_version("detection", checkpoint, metrics={"mAP50": 0.85})
    assert re.fullmatch(r"detection_\d{8}_\d{6}_map50-0\.85", version.name), version.name
    assert version.file_path == f"detection/{version.name}.pt"


def test_a_version_registered_under_the_old_form_keeps_its_name(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ModelVersion.objects.create(
        model_type="detection", name="detection_20261207_150210_map500.85", file_path="detection/detection_20261207_150210_map500.85.pt"
    )
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"weights")
    register_version("detection", checkpoint, metrics={"mAP50": 0.85})
    assert ModelVersion.objects.filter(name="detection_20261207_150210_map500.85").exists()
