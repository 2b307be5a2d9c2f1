"""The demo-data commands as a newcomer types them (README, docs/configuration.md: WIRESAG_DEMO_WIRES)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Image


@pytest.mark.parametrize("wires", ["3", "-5"])
def test_generate_synthetic_with_too_few_wires_says_how_many_are_needed(tmp_path, wires: str) -> None:
    with pytest.raises(CommandError, match="at least 4"):
        call_command("generate_synthetic", str(tmp_path / "out"), "--wires", wires, "--image-size", "128")


def test_generate_synthetic_with_a_negative_class_count_says_so(tmp_path) -> None:
    with pytest.raises(CommandError, match="--pass"):
        call_command("generate_synthetic", str(tmp_path / "out"), "--pass", "-1", "--image-size", "128")


def test_bootstrap_demo_with_too_few_wires_says_how_many_are_needed(db, settings, tmp_path) -> None:
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="at least 4"):
        call_command("bootstrap_demo", "--wires", "2")
    assert not Image.objects.exists()
