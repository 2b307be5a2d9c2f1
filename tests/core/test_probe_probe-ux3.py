"""Follow-ups of earlier probes: a report or zip written where a link was put after the command checked the name."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.outputs import replacing


def test_a_link_put_at_the_target_while_writing_is_replaced_not_written_through(tmp_path: Path) -> None:
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    victim = tmp_path / "notes.txt"
    victim.write_text("kept", encoding="utf-8")
    target = tmp_path / "report.csv"
    with replacing(target) as partial:
        target.symlink_to(victim)  # after the command's check, while the models ran
        partial.write_text("image_name\n", encoding="utf-8")
    assert victim.read_text(encoding="utf-8") == "kept"
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "image_name\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt", "report.csv"]


def test_a_failed_write_leaves_neither_the_target_nor_its_partial_file(tmp_path: Path) -> None:
    tmp_path = tmp_path / "reports"
    tmp_path.mkdir()
    target = tmp_path / "labels.zip"
    with pytest.raises(OSError), replacing(target) as partial:
        partial.write_bytes(b"half")
        raise OSError("No space left on device")
    assert list(tmp_path.iterdir()) == []
