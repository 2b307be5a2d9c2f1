"""Probe px: zips the import wizard cannot unpack onto the server's disk get a sentence, not a 500."""

from __future__ import annotations

import io

import pytest

from tests.annotations.test_probe_pt import windows_zip
from tests.conftest import zipped

pytestmark = pytest.mark.django_db


def test_a_zip_holding_a_file_and_a_folder_of_one_name_gets_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """An entry 'labels' (a file) and 'labels/a_TOP.json' cannot both be unpacked: the wizard answered a 500."""
    client.force_login(annotator)
    bundle = zipped({"labels": b"x", "labels/a_TOP.json": b"{}"}, "odd.zip")
    response = client.post("/import/", {"file": bundle, "format": "auto"})
    assert response.status_code == 400
    assert "labels" in response.content.decode() and "same name" in response.content.decode()


def test_a_zip_entry_whose_name_is_too_long_for_the_disk_gets_a_sentence(client, annotator) -> None:  # type: ignore[no-untyped-def]
    """Windows lets a file name hold 255 characters; 100 Chinese ones are 300 bytes on the server's disk (255 at most):
    the zip Explorer made of such a folder was a 500."""
    client.force_login(annotator)
    bundle = io.BytesIO(windows_zip({"晃動" * 50 + "/001_TOP.json": b"{}"}))
    bundle.name = "long.zip"
    response = client.post("/import/", {"file": bundle, "format": "auto"})
    assert response.status_code == 400
    assert "too long" in response.content.decode()
