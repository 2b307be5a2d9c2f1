"""Follow-ups of earlier probes: ``infer --output`` on a path someone else prepared with a link."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.parametrize("dangling", [True, False])
def test_infer_refuses_an_output_that_is_a_link_before_inspecting(db, tmp_path: Path, dangling: bool) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pictures").mkdir()
    victim = tmp_path / "admin" / ".bashrc"
    victim.parent.mkdir()
    if not dangling:
        victim.write_text("export PATH=/usr/bin", encoding="utf-8")
    output = tmp_path / "results.csv"
    output.symlink_to(victim)
    with pytest.raises(CommandError, match=rf"--output {output} is a symbolic link to {victim}.*Nothing was inspected\."):
        call_command("infer", str(tmp_path / "pictures"), "--output", str(output), "--overwrite")
    assert victim.exists() is not dangling
    if not dangling:
        assert victim.read_text(encoding="utf-8") == "export PATH=/usr/bin"


def test_infer_refuses_a_link_where_format_all_writes_the_workbook(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pictures").mkdir()
    (tmp_path / "results.xlsx").symlink_to(tmp_path / "elsewhere.xlsx")
    with pytest.raises(
        CommandError, match=r"The report .*results\.xlsx is a symbolic link to .*elsewhere\.xlsx, which leads to no file yet"
    ):
        call_command("infer", str(tmp_path / "pictures"), "--output", str(tmp_path / "results.csv"), "--format", "all")
    assert not (tmp_path / "elsewhere.xlsx").exists()
