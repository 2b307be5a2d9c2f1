"""What docs/inference.md promises of ``manage.py infer``, checked as a newcomer types it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.versions import activate, register_version
from tests.conftest import png_bytes


@pytest.fixture
def active_files(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An active version of each model type (the threshold is checked before any file is opened as a model)."""
    for model_type in ("detection", "view", "defect"):
        checkpoint = tmp_path / f"{model_type}.pt"
        checkpoint.write_bytes(model_type.encode())
        version = register_version(model_type, checkpoint, metrics={"pass_recall": 1.0, "accuracy": 0.9, "mAP50": 0.9})
        activate(version, None, reason="test")


@pytest.mark.parametrize("conf", ["25", "0", "1", "-0.5", "nan"])
def test_infer_with_a_threshold_outside_0_and_1_says_so_instead_of_a_traceback(active_files, tmp_path: Path, conf: str) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "w1_TOP.png").write_bytes(png_bytes())
    with pytest.raises(CommandError, match="--conf") as refused:
        call_command("infer", str(folder), "--output", str(tmp_path / "report.csv"), "--conf", conf)
    assert "between 0 and 1" in str(refused.value)
    assert not (tmp_path / "report.csv").exists()
