"""Probing registry_check as an operator runs it after a restore, or from a script."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from registry import versions as registry
from registry.models import ModelVersion
from tests.registry.test_versions import checkpoint, register  # noqa: F401  (a small checkpoint file)

# --- 1. registry_check --remove that had to keep the active version without a file ended with exit code 0 -------------


def test_remove_that_keeps_the_active_version_without_a_file_fails_and_says_what_to_do(db, checkpoint) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A script (``registry_check --remove && echo clean``) took the kept, unloadable active version for a clean store."""
    active = register(checkpoint)
    registry.activate(active, None, reason="test")
    registry.file_of(active).unlink()
    with pytest.raises(CommandError, match=rf"1 version without a file was kept: {active.name} is the active defect model"):
        call_command("registry_check", "--remove", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(ModelVersion.objects.all()) == [active]
